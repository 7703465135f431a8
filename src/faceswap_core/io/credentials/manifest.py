"""The C2PA manifest of a swap, in C2PA's own vocabulary, made from a :class:`Mark`.

What a manifest says (and what it never says):

- ``claim_generator_info``: faceswap and its version.
- ingredients: the target as ``parentOf`` and the source face as ``componentOf``,
  each with a fixed title (``target image``, ``source face``, never a file name),
  its MIME type and the SHA-256 of its bytes (``metadata["faceswap.sha256"]``).
  The target's own Content Credentials, if it has any, join the chain; nothing of
  the source but its hash is kept. No thumbnail of anything is embedded.
- actions (``c2pa.actions.v2``): ``c2pa.opened`` of the target (the SDK adds it
  for the parent) and ``c2pa.edited`` with the swapper's IPTC digital source
  type, faceswap as ``softwareAgent``, both ingredients, and the swap model and
  its SHA-256 as ``faceswap.model`` / ``faceswap.model_sha256`` parameters.

No local path, secret or picture is written: every string comes from the
:class:`~faceswap_core.io.provenance.Mark`, whose fields hold none.
"""

from __future__ import annotations

from typing import Any

from faceswap_core.io.credentials.sdk import claim_generator
from faceswap_core.io.provenance import Ingredient, Mark
from faceswap_core.version import __version__

VENDOR = "faceswap"
"""Prefix of faceswap's own fields inside C2PA structures (``faceswap.sha256``)."""

EDIT_ACTION = "c2pa.edited"
"""The action a swap records: C2PA's "edited" (a change to the parent's content)."""

OUTPUT_TITLE = "faceswap output"
"""The output's title in its manifest (never its file name)."""

EDIT_DESCRIPTION = "Face swap: the identity of the source face replaces faces in the target"


def ingredient_id(index: int, ingredient: Ingredient) -> str:
    """A label linking an ingredient to the actions that use it (``target-0``)."""
    role = "target" if ingredient.relationship == "parentOf" else "source"
    return f"{role}-{index}"


def ingredient_definition(index: int, ingredient: Ingredient) -> dict[str, Any]:
    """The JSON an ingredient is added with: title, relationship, format and hash."""
    data: dict[str, Any] = {
        "title": ingredient.title,
        "relationship": ingredient.relationship,
        "label": ingredient_id(index, ingredient),
    }
    if ingredient.format is not None:
        data["format"] = ingredient.format
    if ingredient.sha256 is not None:
        data["metadata"] = {f"{VENDOR}.sha256": ingredient.sha256}
    return data


def edit_action(mark: Mark) -> dict[str, Any]:
    """The ``c2pa.edited`` action: source type, software agent, ingredients, model."""
    parameters: dict[str, Any] = {
        "ingredientIds": [ingredient_id(i, g) for i, g in enumerate(mark.ingredients)],
    }
    if mark.model is not None:
        parameters[f"{VENDOR}.model"] = mark.model
    if mark.model_sha256 is not None:
        parameters[f"{VENDOR}.model_sha256"] = mark.model_sha256
    return {
        "action": EDIT_ACTION,
        "digitalSourceType": mark.digital_source_type,
        "softwareAgent": {"name": VENDOR, "version": __version__},
        "description": EDIT_DESCRIPTION,
        "parameters": parameters,
    }


def manifest_definition(
    mark: Mark, mime: str, ingredients: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The manifest definition handed to ``c2pa.Builder``.

    :param ingredients: ingredient definitions described without their bytes; the
        parent, when the SDK reads it from its bytes, is added to the builder apart.
    """
    return {
        "claim_generator_info": claim_generator(),
        "format": mime,
        "title": OUTPUT_TITLE,
        "ingredients": list(ingredients or ()),
        "assertions": [],
    }


__all__ = [
    "EDIT_ACTION",
    "VENDOR",
    "edit_action",
    "ingredient_definition",
    "ingredient_id",
    "manifest_definition",
]
