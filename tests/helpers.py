"""Small readers over a Trace, shared by tests."""
from iced_x86 import Decoder

from gosched_book.machine.world import DATA_SYMBOLS


def initial(t, label):
    """The value of a labelled memory word before the first step."""
    for a, v, lab in t.memory:
        if lab == label:
            return v
    raise KeyError(label)


def addr_of(t, label):
    for a, v, lab in t.memory:
        if lab == label:
            return a
    raise KeyError(label)


def final_mem(t):
    return t.memory_at(len(t.steps))


def final_regs(t):
    return t.regs_at(len(t.steps))


def writes_to(t, label):
    return [(s.i, w.value) for s in t.steps for w in s.writes if w.label == label]




def assert_golden(img, routine, golden):
    """`routine` in the linked image has the Go toolchain's bytes (golden_amd64.json)."""
    ours = [p for p in img.function_placed(routine) if p.data]
    theirs = golden[routine]["instructions"]
    assert len(ours) == len(theirs), routine
    start = img.symbols[routine]
    for p, g in zip(ours, theirs):
        assert p.address - start == g["offset"], p.ins.text
        want = bytes.fromhex(g["bytes"])
        if g.get("link_dependent"):
            # The bytes match outside the rel32 the linker fills; in our layout it reaches the symbol.
            assert len(p.data) == len(want), p.ins.text
            decoder = Decoder(64, p.data, ip=p.address)
            ins = decoder.decode()
            offs = decoder.get_constant_offsets(ins)  # the decoder that decoded it knows where fields are
            branch = not ins.is_ip_rel_memory_operand  # iced counts a branch's rel32 as its immediate
            at, size = (offs.immediate_offset, offs.immediate_size) if branch else \
                (offs.displacement_offset, offs.displacement_size)
            assert size == 4, p.ins.text
            mask = lambda b: b[:at] + b[at + 4:]  # noqa: E731
            assert mask(p.data) == mask(want), p.ins.text
            target = ins.near_branch_target if branch else ins.ip_rel_memory_address
            ref = next(o for o in p.ins.operands if getattr(o, "symbol", None))
            base = {**dict(DATA_SYMBOLS), **img.symbols}[ref.symbol]  # a routine, or g0/m0
            assert target == base + getattr(ref, "offset", 0), p.ins.text
        else:
            assert p.data == want, f"{p.ins.text}: {p.data.hex()} != {g['bytes']}"
