"""What Go's assembler adds to a TEXT block before encoding it (cmd/internal/obj/x86/obj6.go,
`preprocess` and `stacksplit`), and the frame offsets it resolves.

- A frame: `$N` with N > 0 gets `SUBQ $N+8, SP; MOVQ BP, N(SP); LEAQ N(SP), BP` (the 8 is the
  saved BP), and before every RET `MOVQ N(SP), BP; ADDQ $N+8, SP`. A `$0` frame that calls
  something and is not NOSPLIT gets the same with N = 0; NOFRAME never does.
- The stack-split check, unless NOSPLIT (or the function is a small leaf): load g (R14 in
  ABIInternal, `MOVQ FS:-8, R14` otherwise), compare SP (or SP minus the frame) with
  g.stackguard0, and on overflow `CALL runtime·morestack_noctxt(SB)` and start again.
- WRAPPER: the check of g._panic.argp that lets recover work through a wrapper.
- `name+off(FP)` and `name-off(SP)` become offsets from the hardware SP, following every PUSHQ,
  POPQ and ADJSP.

The added instructions carry `added` ("prologue", "epilogue", "stack check", "wrapper") and the
location of the TEXT line (the epilogue: of its RET), as objdump shows them.
"""
from __future__ import annotations

from dataclasses import replace

from .program import Function, Imm, Instruction, Label, LabelRef, Mem, Reg, SymRef

STACK_SMALL = 128  # objabi.StackSmall
STACK_BIG = 4096  # objabi.StackBig
PTR = 8
G_PANIC = 4 * PTR  # g._panic
G_STACKGUARD0 = 2 * PTR
TMP0, TMP1 = "R12", "R13"  # REGENTRYTMP0/1: free at entry in both ABIs
_SP_CHANGE = {"PUSHQ": 8, "PUSHFQ": 8, "POPQ": -8, "POPFQ": -8, "PUSHW": 2, "PUSHFW": 2,
              "POPW": -2, "POPFW": -2}
ADDED_SYMBOLS = ("runtime·morestack", "runtime·morestack_noctxt")  # what the added code calls
_ENTRY, _MORESTACK = "<entry>", "<morestack>"
_WRAP_END, _WRAP_CHECK = "<wrapper end>", "<wrapper checkargp>"


def _zero_arg_runtime_call(ins: Instruction) -> bool:
    """obj6's isZeroArgRuntimeCall: calls that use no stack before their own check."""
    op = ins.operands[0] if ins.operands else None
    if not isinstance(op, SymRef):
        return False
    name = op.symbol.replace("·", ".")
    return name in ("runtime.panicdivide", "runtime.panicwrap", "runtime.panicshift") or \
        name.startswith(("runtime.panicIndex", "runtime.panicSlice"))


def lower(f: Function) -> Function:
    """`f` with the instructions Go's assembler adds, and its FP and named-SP slots resolved."""
    flags = set(f.flags)
    autoffset = max(f.frame, 0)
    calls = [x for x in f.instructions if x.mnemonic == "CALL"]
    bpsize = 0
    if "NOFRAME" not in flags and not (autoffset == 0 and "NOSPLIT" in flags) \
            and not (autoffset == 0 and not calls):
        bpsize = PTR
        autoffset += bpsize
    nosplit = "NOSPLIT" in flags
    if autoffset < STACK_SMALL and not nosplit:
        leaf = all(_zero_arg_runtime_call(c) and autoffset < STACK_SMALL - 8 for c in calls)
        nosplit = leaf
    if autoffset == 0 and nosplit and "WRAPPER" not in flags:
        return replace(f, body=_resolve(f.body, 0, 0))

    at = f.loc
    mk = _maker(at)
    head: list = []
    tail: list = []
    if not nosplit:
        head.append(Label(_ENTRY, at))
        head += _load_g(f, mk)
        head += _split_check(autoffset, mk)
        tail += [Label(_MORESTACK, at),
                 mk("CALL", SymRef("runtime·morestack" if "NEEDCTXT" in flags
                                   else "runtime·morestack_noctxt"), added="stack check"),
                 mk("JMP", LabelRef(_ENTRY), added="stack check")]
    elif "WRAPPER" in flags:
        head += _load_g(f, mk)
    if autoffset:
        head.append(mk("SUBQ", Imm(autoffset), Reg("SP"), added="prologue"))
    if bpsize:
        head.append(mk("MOVQ", Reg("BP"), Mem("SP", autoffset - bpsize), added="prologue"))
        head.append(mk("LEAQ", Mem("SP", autoffset - bpsize), Reg("BP"), added="prologue"))
    if "WRAPPER" in flags:
        head += [mk("MOVQ", Mem("R14", G_PANIC), Reg(TMP0), added="wrapper"),
                 mk("TESTQ", Reg(TMP0), Reg(TMP0), added="wrapper"),
                 mk("JNE", LabelRef(_WRAP_CHECK), added="wrapper"),
                 Label(_WRAP_END, at)]
        tail += [Label(_WRAP_CHECK, at),
                 mk("LEAQ", Mem("SP", autoffset + PTR), Reg(TMP1), added="wrapper"),
                 mk("CMPQ", Mem(TMP0, 0), Reg(TMP1), added="wrapper"),
                 mk("JNE", LabelRef(_WRAP_END), added="wrapper"),
                 mk("MOVQ", Reg("SP"), Mem(TMP0, 0), added="wrapper"),
                 mk("JMP", LabelRef(_WRAP_END), added="wrapper")]
    body: list = []
    for x in f.body:
        if isinstance(x, Instruction) and x.mnemonic == "RET" and autoffset:
            ret = _maker(x.loc)
            if bpsize:
                body.append(ret("MOVQ", Mem("SP", autoffset - bpsize), Reg("BP"), added="epilogue"))
            body.append(ret("ADDQ", Imm(autoffset), Reg("SP"), added="epilogue"))
        body.append(x)
    resolved = _resolve(tuple(body), autoffset, bpsize)
    return replace(f, body=tuple(head) + resolved + tuple(tail))


def _maker(loc):
    def mk(mnemonic: str, *ops, added: str) -> Instruction:
        text = f"{mnemonic} " + ", ".join(_show(o) for o in ops)
        return Instruction(mnemonic, tuple(ops), loc, text=text.strip(), added=added)
    return mk


def _show(op) -> str:
    if isinstance(op, Reg):
        return op.name
    if isinstance(op, Imm):
        return f"${op.value:#x}"
    if isinstance(op, Mem):
        if op.tls:
            return "(TLS)"
        return f"{op.disp:#x}({op.base})" if op.disp else f"({op.base})"
    if isinstance(op, SymRef):
        return f"{op.symbol}(SB)"
    if isinstance(op, LabelRef):
        return op.name
    return repr(op)


def _load_g(f: Function, mk) -> list:
    if f.abi == "ABIInternal":
        return []  # R14 is g on entry
    return [mk("MOVQ", Mem(None, -8, tls=True), Reg("R14"), added="stack check")]


def _split_check(framesize: int, mk) -> list:
    guard = Mem("R14", G_STACKGUARD0)
    if framesize <= STACK_SMALL:
        out = [mk("CMPQ", Reg("SP"), guard, added="stack check")]
    elif framesize <= STACK_BIG:
        out = [mk("LEAQ", Mem("SP", -(framesize - STACK_SMALL)), Reg(TMP0), added="stack check"),
               mk("CMPQ", Reg(TMP0), guard, added="stack check")]
    else:  # SP - framesize could wrap around: check the carry first
        out = [mk("MOVQ", Reg("SP"), Reg(TMP0), added="stack check"),
               mk("SUBQ", Imm(framesize - STACK_SMALL), Reg(TMP0), added="stack check"),
               mk("JCS", LabelRef(_MORESTACK), added="stack check"),
               mk("CMPQ", Reg(TMP0), guard, added="stack check")]
    return out + [mk("JLS", LabelRef(_MORESTACK), added="stack check")]


def _resolve(body: tuple, autoffset: int, bpsize: int) -> tuple:
    """FP and named-SP operands as hardware-SP offsets, tracking SP through the body."""
    delta = autoffset
    out = []
    for x in body:
        if isinstance(x, Instruction):
            if any(isinstance(o, Mem) and (o.fp_name or o.auto_name) for o in x.operands):
                ops = tuple(_slot(o, delta, bpsize) for o in x.operands)
                x = replace(x, operands=ops)
            delta += _SP_CHANGE.get(x.mnemonic, 0)
            if x.mnemonic == "ADJSP" and x.operands and isinstance(x.operands[0], Imm):
                delta += x.operands[0].value
        out.append(x)
    return tuple(out)


def _slot(op, delta: int, bpsize: int):
    if not isinstance(op, Mem):
        return op
    if op.fp_name:
        return replace(op, disp=op.disp + delta + PTR, fp_name=None)
    if op.auto_name:
        return replace(op, disp=op.disp + delta - bpsize, auto_name=None)
    return op
