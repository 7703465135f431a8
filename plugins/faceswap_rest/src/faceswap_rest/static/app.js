// The web page of faceswap serve: upload a source and a target, show the result and its timing.
// Plain JS, no build step. Talks to the same POST /v1/swap as every other client.
"use strict";

const $ = (id) => document.getElementById(id);

function preview(input, img) {
  input.addEventListener("change", () => {
    const file = input.files[0];
    if (file) img.src = URL.createObjectURL(file);
  });
}

// "decode;dur=1.2, detect;dur=30.1, ..." -> [["decode", 1.2], ["detect", 30.1], ...]
function parseServerTiming(header) {
  if (!header) return [];
  return header.split(",").map((part) => {
    const [name, ...params] = part.trim().split(";");
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith("dur="));
    return [name, dur ? Number(dur.slice(4)) : NaN];
  });
}

function showTiming(stages, roundTrip) {
  const body = $("timing").querySelector("tbody");
  body.replaceChildren();
  for (const [name, ms] of [...stages, ["round trip", roundTrip]]) {
    const row = body.insertRow();
    row.insertCell().textContent = name;
    const cell = row.insertCell();
    cell.className = "num";
    cell.textContent = Number.isFinite(ms) ? ms.toFixed(1) : "-";
  }
  $("timing").hidden = false;
}

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function swap(event) {
  event.preventDefault();
  const form = new FormData();
  form.append("source", $("source").files[0]);
  form.append("target", $("target").files[0]);
  form.append("faces", $("faces").value);
  form.append("format", $("format").value);
  const headers = {};
  const token = $("token").value.trim();
  if (token) headers["Authorization"] = `Bearer ${token}`;
  $("swap").disabled = true;
  setStatus("swapping…", false);
  const started = performance.now();
  try {
    const response = await fetch("/v1/swap", { method: "POST", body: form, headers });
    const roundTrip = performance.now() - started;
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        const body = await response.json();
        message = `${body.error.code}: ${body.error.message}`;
      } catch (_) { /* not JSON */ }
      setStatus(message, true);
      return;
    }
    const blob = await response.blob();
    $("result").src = URL.createObjectURL(blob);
    const stages = parseServerTiming(response.headers.get("Server-Timing"));
    const total = stages.find(([name]) => name === "total");
    const found = response.headers.get("X-Faces-Found");
    const swapped = response.headers.get("X-Faces-Swapped");
    setStatus(
      `${swapped}/${found} faces swapped in ${total ? total[1].toFixed(0) : "?"} ms ` +
      `(${roundTrip.toFixed(0)} ms round trip)`, false);
    showTiming(stages.filter(([name]) => name !== "total"), roundTrip);
  } catch (error) {
    setStatus(`request failed: ${error}`, true);
  } finally {
    $("swap").disabled = false;
  }
}

preview($("source"), $("source-preview"));
preview($("target"), $("target-preview"));
$("swap-form").addEventListener("submit", swap);
