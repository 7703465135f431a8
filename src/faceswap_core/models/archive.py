"""Model files that ship inside zip archives (insightface packs such as ``buffalo_l.zip``)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from faceswap_core.errors import ModelFileError
from faceswap_core.io.atomic import temp_path_for
from faceswap_core.io.hashing import CHUNK_SIZE


def extract_member(archive: Path, member: str, dest: Path, *, what: str) -> Path:
    """Copy ``member`` out of ``archive`` to a hidden temporary sibling of ``dest``.

    The member is matched by its full path, else by its file name anywhere in
    the archive. The caller verifies the returned file and moves it into
    place (or deletes it). A corrupt archive is deleted so the next pull
    downloads it again.

    :param what: the model's name, for messages.
    """
    try:
        with zipfile.ZipFile(archive) as bundle:
            names = bundle.namelist()
            if member not in names:
                matches = [n for n in names if n.rsplit("/", 1)[-1] == member]
                if not matches:
                    raise ModelFileError(f"{archive.name} has no {member}; check the URL of {what}")
                member = matches[0]
            dest.parent.mkdir(parents=True, exist_ok=True)
            temp = temp_path_for(dest)
            try:
                with bundle.open(member) as reader, temp.open("xb") as writer:
                    shutil.copyfileobj(reader, writer, CHUNK_SIZE)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            return temp
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        archive.unlink(missing_ok=True)
        raise ModelFileError(
            f"downloaded archive {archive.name} for {what} is not a valid zip ({exc});"
            " it was deleted, run the pull again"
        ) from None


__all__ = ["extract_member"]
