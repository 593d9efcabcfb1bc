"""go_asm.h: the constants the Go compiler writes for the runtime's assembly (`go build -work`
keeps it; `go tool compile -asmhdr` writes it), computed here from struct field lists.

The book's own layouts (gosched_book.runtime.layout: g, m up to curg, gobuf, stack) come first;
this module continues m past curg and adds the structs the runtime's .s files reach into (p,
wbBuf, moduledata, internal/cpu's X86), with the field types of Go 1.19's runtime2.go,
mwbbuf.go, symtab.go and internal/cpu (linux/amd64). tests/test_asm_go_asm_h.py holds every
value against the header the toolchain wrote.
"""
from __future__ import annotations

from functools import cache

from ..runtime.layout import go_asm_symbols, offsetof

PTR = 8
# Go type -> (size, alignment) on amd64
_BASIC = {
    "ptr": (8, 8), "uintptr": (8, 8), "int": (8, 8), "int64": (8, 8), "uint64": (8, 8),
    "int32": (4, 4), "uint32": (4, 4), "int8": (1, 1), "uint8": (1, 1), "bool": (1, 1),
    "string": (16, 8), "slice": (24, 8), "func": (8, 8), "map": (8, 8),
}
Fields = tuple[tuple[str, object], ...]  # (name, type): a _BASIC name, a struct name, or (n, type)

_STRUCTS: dict[str, Fields] = {
    "gobuf": tuple((f, "uintptr") for f in ("sp", "pc", "g", "ctxt", "ret", "lr", "bp")),
    "libcall": tuple((f, "uintptr") for f in ("fn", "n", "args", "r1", "r2", "err")),
    "note": (("key", "uintptr"),),
    "sysmontick": (("schedtick", "uint32"), ("schedwhen", "int64"), ("syscalltick", "uint32"),
                   ("syscallwhen", "int64")),
    "pageCache": (("base", "uintptr"), ("cache", "uint64"), ("scav", "uint64")),
    "gFree": (("head", "ptr"), ("n", "int32")),
    "mspancache": (("len", "int"), ("buf", (128, "ptr"))),
    "persistentAlloc": (("base", "ptr"), ("off", "uintptr")),
    "gcWork": (("wbuf1", "ptr"), ("wbuf2", "ptr"), ("bytesMarked", "uint64"),
               ("heapScanWork", "int64"), ("flushedWork", "bool")),
    "bitvector": (("n", "int32"), ("bytedata", "ptr")),
    "wbBuf": (("next", "uintptr"), ("end", "uintptr"), ("buf", (512, "uintptr"))),
    # runtime2.go's p, up to wbBuf
    "p": (
        ("id", "int32"), ("status", "uint32"), ("link", "ptr"), ("schedtick", "uint32"),
        ("syscalltick", "uint32"), ("sysmontick", "sysmontick"), ("m", "ptr"), ("mcache", "ptr"),
        ("pcache", "pageCache"), ("raceprocctx", "uintptr"), ("deferpool", "slice"),
        ("deferpoolbuf", (32, "ptr")), ("goidcache", "uint64"), ("goidcacheend", "uint64"),
        ("runqhead", "uint32"), ("runqtail", "uint32"), ("runq", (256, "ptr")),
        ("runnext", "ptr"), ("gFree", "gFree"), ("sudogcache", "slice"),
        ("sudogbuf", (128, "ptr")), ("mspancache", "mspancache"), ("tracebuf", "uintptr"),
        ("traceSweep", "bool"), ("traceSwept", "uintptr"), ("traceReclaimed", "uintptr"),
        ("palloc", "persistentAlloc"), ("_", "uint32"), ("timer0When", "uint64"),
        ("timerModifiedEarliest", "uint64"), ("gcAssistTime", "int64"),
        ("gcFractionalMarkTime", "int64"), ("limiterEvent", "uint64"),
        ("gcMarkWorkerMode", "int"), ("gcMarkWorkerStartTime", "int64"), ("gcw", "gcWork"),
        ("wbBuf", "wbBuf"),
    ),
    # symtab.go's moduledata, up to next
    "moduledata": (
        ("pcHeader", "ptr"), ("funcnametab", "slice"), ("cutab", "slice"), ("filetab", "slice"),
        ("pctab", "slice"), ("pclntable", "slice"), ("ftab", "slice"),
        *((f, "uintptr") for f in (
            "findfunctab", "minpc", "maxpc", "text", "etext", "noptrdata", "enoptrdata", "data",
            "edata", "bss", "ebss", "noptrbss", "enoptrbss", "end", "gcdata", "gcbss", "types",
            "etypes", "rodata", "gofunc")),
        ("textsectmap", "slice"), ("typelinks", "slice"), ("itablinks", "slice"),
        ("ptab", "slice"), ("pluginpath", "string"), ("pkghashes", "slice"),
        ("modulename", "string"), ("modulehashes", "slice"), ("hasmain", "uint8"),
        ("gcdatamask", "bitvector"), ("gcbssmask", "bitvector"), ("typemap", "map"),
        ("bad", "bool"), ("next", "ptr"),
    ),
    # internal/cpu's X86: a cache-line pad, then the feature flags
    "X86": (("_", (64, "uint8")), *((f"Has{f}", "bool") for f in (
        "AES", "ADX", "AVX", "AVX2", "BMI1", "BMI2", "ERMS", "FMA", "OSXSAVE", "PCLMULQDQ",
        "POPCNT", "RDTSCP", "SSE3", "SSSE3", "SSE41", "SSE42"))),
}
# runtime2.go's m after curg (the book's layout ends there)
_M_AFTER_CURG: Fields = (
    ("caughtsig", "ptr"), ("p", "ptr"), ("nextp", "ptr"), ("oldp", "ptr"), ("id", "int64"),
    ("mallocing", "int32"), ("throwing", "int32"), ("preemptoff", "string"), ("locks", "int32"),
    ("dying", "int32"), ("profilehz", "int32"), ("spinning", "bool"), ("blocked", "bool"),
    ("newSigstack", "bool"), ("printlock", "int8"), ("incgo", "bool"), ("freeWait", "uint32"),
    ("fastrand", "uint64"), ("needextram", "bool"), ("traceback", "uint8"),
    ("ncgocall", "uint64"), ("ncgo", "int32"), ("cgoCallersUse", "uint32"),
    ("cgoCallers", "ptr"), ("park", "note"), ("alllink", "ptr"), ("schedlink", "ptr"),
    ("lockedg", "ptr"), ("createstack", (32, "uintptr")), ("lockedExt", "uint32"),
    ("lockedInt", "uint32"), ("nextwaitm", "ptr"), ("waitunlockf", "func"), ("waitlock", "ptr"),
    ("waittraceev", "uint8"), ("waittraceskip", "int"), ("startingtrace", "bool"),
    ("syscalltick", "uint32"), ("freelink", "ptr"), ("libcall", "libcall"),
    ("libcallpc", "uintptr"), ("libcallsp", "uintptr"), ("libcallg", "ptr"),
    ("syscall", "libcall"), ("vdsoSP", "uintptr"), ("vdsoPC", "uintptr"),
)
TLS_SLOTS = 6  # runtime2.go's tlsSlots
STACK_GUARD = 928 * 1 + 0  # stack.go: 928*StackGuardMultiplier + _StackSystem (1 and 0 on linux)


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


@cache
def size_align(t) -> tuple[int, int]:
    """Size and alignment of a Go type written as in the field lists."""
    if isinstance(t, tuple):
        n, elem = t
        size, align = size_align(elem)
        return n * size, align
    if t in _BASIC:
        return _BASIC[t]
    end, align = 0, 1
    for _, off, (size, a) in _layout(_STRUCTS[t]):
        end, align = off + size, max(align, a)
    return _align(end, align), align


def _layout(fields: Fields, start: int = 0):
    off = start
    for name, t in fields:
        size, align = size_align(t)
        off = _align(off, align)
        yield name, off, (size, align)
        off += size


def go_asm_constants() -> dict[str, int]:
    """Every go_asm.h constant this assembler knows: `m_curg`, `p_wbBuf`, `const_tlsSize`, ..."""
    return dict(_constants())


@cache
def _constants() -> tuple[tuple[str, int], ...]:
    out = dict(go_asm_symbols())
    curg = offsetof("m", "curg")
    for name, off, _ in _layout(_M_AFTER_CURG, curg + PTR):
        out[f"m_{name}"] = off
    for struct in ("p", "wbBuf", "moduledata"):
        for name, off, _ in _layout(_STRUCTS[struct]):
            if name != "_":
                out[f"{struct}_{name}"] = off
    for name, off, _ in _layout(_STRUCTS["X86"]):
        if name != "_":
            out[f"const_offsetX86{name}"] = off
    out["const_tlsSize"] = TLS_SLOTS * PTR
    out["const__StackGuard"] = STACK_GUARD
    return tuple(out.items())
