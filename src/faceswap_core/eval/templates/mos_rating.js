function ratings() {
  const rater = document.getElementById('rater').value.replace(/[,\n\r"]/g, ' ').trim();
  const rows = ['item_id,score,rater'];
  document.querySelectorAll('.item').forEach(function (item) {
    const id = item.dataset.item;
    const chosen = item.querySelector('input:checked');
    rows.push(id + ',' + (chosen ? chosen.value : '') + ',' + rater);
  });
  return rows.join('\n') + '\n';
}
function save() {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([ratings()], {type: 'text/csv'}));
  link.download = 'ratings.csv';
  link.click();
}
