"""The recorded Go 1.19 toolchain output (scripts/toolchain/dump_runtime_asm.py) and the
comparison of this assembler's bytes with it, TEXT block by TEXT block.

A relocated field (a CALL/JMP rel32 or RIP-relative displacement to another symbol, the TLS
offset) is zero in Go's object file: it is compared by what it reaches, not by its bytes. Every
other byte must be identical.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import AsmError
from .blocks import Block
from .frame import ADDED_SYMBOLS
from .link import Image, link
from .parse import parse
from .program import AddrOf, SymRef

BASE = 0x400000
EXTERN_BASE = 0x10_000_000  # other symbols live far away, each 1 MiB apart
EXTERN_STRIDE = 0x100_000
TLS_G = -8  # what the linker puts in an R_TLS_LE field of an executable: g at FS-8


@lru_cache(maxsize=None)
def recorded() -> dict:
    """toolchain_runtime.json: {"files": {file: [block, ...]}, "go_asm_h": {...}, "go": ...}."""
    return json.loads(resources.files(__package__).joinpath("data/toolchain_runtime.json").read_text())


@lru_cache(maxsize=None)
def encoder_suite() -> tuple[dict, ...]:
    """Go's encoder test cases: {"file", "line", "text", "hex": [accepted encodings]}."""
    data = resources.files(__package__).joinpath("data/encoder_suite.json").read_text()
    return tuple(json.loads(data)["cases"])


def go_name(name: str, abi: str = "") -> str:
    """The object file's name for a symbol as written: runtime·mcall -> runtime.mcall, gogo<> ->
    gogo<1>, ·x -> runtime.x, internal∕cpu·X86 -> internal/cpu.X86. objdump marks a file-local
    symbol and a reference to a function's ABIInternal entry alike, with <1>."""
    static = name.endswith("<>") or abi == "ABIInternal"
    base = name.split("<")[0]
    if base.startswith("·"):
        base = "runtime" + base
    base = base.replace("∕", "/").replace("·", ".")
    return base + ("<1>" if static else "")


@dataclass(frozen=True)
class Verdict:
    """One TEXT block against the toolchain: `ok`, or the first difference."""

    block: str
    ok: bool
    detail: str = ""
    line: int = 0


def external_symbols(programs) -> dict[str, int]:
    """A far, distinct address for every symbol the programs name but do not define."""
    defined = {f.name for p in programs for f in p.functions}
    names: dict[str, int] = {}
    for p in programs:
        for f in p.functions:
            for ins in f.instructions:
                for op in ins.operands:
                    if isinstance(op, (SymRef, AddrOf)) and op.symbol not in defined:
                        names.setdefault(op.symbol, EXTERN_BASE + EXTERN_STRIDE * len(names))
    for name in ADDED_SYMBOLS:  # what the assembler's stack-split check calls
        if name not in defined:
            names.setdefault(name, EXTERN_BASE + EXTERN_STRIDE * len(names))
    return names


def assemble_source(text: str, file: str) -> Image:
    """A whole listing assembled at BASE, with every symbol it does not define far away."""
    prog = parse(text, file)
    return link([prog], BASE, external_symbols([prog]))


def assemble_block(block: Block, file: str) -> Image:
    """One TEXT block (with the file's directives before it) assembled as `assemble_source`."""
    return assemble_source(block.text, file)


def _where(address: int, image: Image, extern: dict[str, int], abi: str) -> str:
    """symbol+offset of `address`, named as objdump names the reference."""
    for name, start in image.symbols.items():
        if start <= address < start + max(image.sizes[name], 1):
            return _with_offset(go_name(name), address - start)
    for name, start in extern.items():
        if start <= address < start + EXTERN_STRIDE:
            return _with_offset(go_name(name, abi), address - start)
    return hex(address)


def _with_offset(name: str, off: int) -> str:
    return f"{name}+{off}" if off else name


def compare(block: Block, file: str, want: dict) -> Verdict:
    """Assemble `block` and hold its bytes against the recorded `want` block, instruction by
    instruction of the toolchain's (objdump joins a prefix such as REP to its instruction)."""
    try:
        prog = parse(block.text, file)
        extern = external_symbols([prog])
        image = link([prog], BASE, extern)
    except AsmError as e:
        return Verdict(block.name, False, f"refused: {e.message}", e.line)
    name = prog.functions[0].name
    start = image.symbols[name]
    got = image.code[start - image.base:start - image.base + image.sizes[name]]
    placed = [p for p in image.function_placed(name) if p.data]
    off = 0
    for w in want["instructions"]:
        data = bytes.fromhex(w["hex"])
        mine = got[off:off + len(data)]
        ours = _covering(placed, start + off)
        line = ours.line if ours else w["line"]
        verdict = _same(data, mine, start + off, w["relocs"], image, extern,
                        _selector(ours.ins) if ours else "")
        if verdict:
            return Verdict(block.name, False, f"{w['go']!r}: {verdict}", line)
        off += len(data)
    if off != len(got):
        ours = _covering(placed, start + off)
        return Verdict(block.name, False, f"extra bytes {got[off:off + 16].hex()}",
                       ours.line if ours else 0)
    return Verdict(block.name, True)


def _covering(placed, address: int):
    """The placed instruction whose bytes include `address`."""
    return next((p for p in placed if p.address <= address < p.address + len(p.data)), None)


def _selector(ins) -> str:
    return next((op.abi for op in ins.operands if isinstance(op, (SymRef, AddrOf))), "")


def _same(want: bytes, got: bytes, at: int, relocs, image: Image, extern, abi: str) -> str:
    """"" when `got` is `want` outside the relocated fields and each field reaches its target."""
    if len(want) != len(got):
        return f"want {want.hex()}, got {got.hex()}"
    masked = bytearray(got)
    for r in relocs:
        s, e = r["start"], r["end"]
        if e == s:
            continue
        field = struct.unpack("<i", got[s:e])[0] if e - s == 4 else None
        masked[s:e] = want[s:e]
        if r["type"] == "R_TLS_LE":
            if field != TLS_G:
                return f"TLS field {got[s:e].hex()}, want {TLS_G} (g at FS-8)"
            continue
        if r["type"] not in ("R_CALL", "R_PCREL") or field is None:
            return f"unexpected relocation {r['type']}"
        target = _where(at + len(got) + field, image, extern, abi)
        # Go stores the addend from the field's end; the CPU adds the field to the instruction's end.
        expect = _with_offset(r["symbol"], r["add"] + (len(got) - e))
        # objdump's <1> marks a file-local symbol or an ABI version, but not consistently (a
        # JMP ·sigpanic<ABIInternal>(SB) shows none): names are compared without it.
        if target.replace("<1>", "") != expect.replace("<1>", ""):
            return f"reaches {target}, want {expect}"
    if bytes(masked) != want:
        return f"want {want.hex()}, got {got.hex()}"
    return ""


SUITE_BASE = 0x1000


def encode_case(text: str) -> bytes | None:
    """One encoder-suite instruction assembled alone (None when this assembler refuses it)."""
    source = f"TEXT asmtest(SB), NOSPLIT, $0\n\t{text}\n"
    try:
        prog = parse(source, "amd64enc.s")
        image = link([prog], SUITE_BASE, external_symbols([prog]))
    except AsmError:
        return None
    return b"".join(p.data for p in image.placed)
