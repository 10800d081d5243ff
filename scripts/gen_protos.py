"""Regenerate the committed gRPC stubs in computenet/v1 from proto/computenet/v1.

Run ``python scripts/gen_protos.py`` after changing a .proto file; CI runs it and fails when
the output differs from what is committed (``--check``).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "computenet" / "v1"


def generate(out_root: Path) -> list[Path]:
    """Run protoc (with the .pyi and gRPC plugins) over every .proto into ``out_root``."""
    sources = (PROTO_DIR / "computenet").rglob("*.proto")
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in sources)
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_DIR}",
        f"-I{include}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    return sorted((out_root / "computenet" / "v1").glob("*.py*"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed stubs differ")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp))
        if args.check:
            stale = [
                f.name
                for f in files
                if not (OUT_DIR / f.name).exists()
                or not filecmp.cmp(f, OUT_DIR / f.name, shallow=False)
            ]
            extra = sorted(
                p.name for p in OUT_DIR.glob("*_pb2*.py*") if p.name not in {f.name for f in files}
            )
            if stale or extra:
                print(f"stubs out of date: {stale + extra}; run python scripts/gen_protos.py")
                return 1
            print(f"stubs up to date ({len(files)} files)")
            return 0
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(f, OUT_DIR / f.name)
        print(f"wrote {len(files)} files to {OUT_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
