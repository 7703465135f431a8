"""``faceswap provenance keygen``: an untrusted test CA and signer for trying C2PA signing.

The files come from :func:`faceswap_core.io.credentials.keygen.write_test_chain`;
the options from the ``provenance keygen`` spec.
"""

from __future__ import annotations

import click

from faceswap_core.cli.jsonlines import emit
from faceswap_core.cli.spec_command import spec_command
from faceswap_core.io.credentials.keygen import write_test_chain
from faceswap_core.operations.provenance import KEYGEN, KeygenSpec


def keygen(ctx: click.Context, spec: KeygenSpec) -> None:
    """Write the chain, then say how to sign and verify with it."""
    paths = write_test_chain(spec.output, spec.alg, overwrite=spec.overwrite)
    if spec.json:
        emit({**{role: str(path) for role, path in paths.items()}, "alg": spec.alg})
        return
    click.echo(f"test CA:     {paths['ca']}  (a trust anchor for inspect --trust)")
    click.echo(f"signer cert: {paths['cert']}")
    click.echo(f"signer key:  {paths['key']}  (mode 0600)")
    click.echo(
        f"sign:   faceswap swap ... --set pipeline.c2pa.cert={paths['cert']} "
        f"--set pipeline.c2pa.key={paths['key']} --set pipeline.c2pa.alg={spec.alg}"
    )
    click.echo(f"verify: faceswap inspect --verify --trust {paths['ca']} FILE")
    click.echo(
        "These are test credentials on no trust list: other verifiers show the signer as "
        "untrusted. See docs/provenance.md for a real signing certificate."
    )


@click.group("provenance")
def command() -> None:
    """Content Credentials (C2PA) tools: test keys for signing."""


command.add_command(spec_command(KEYGEN, keygen))
