"""Small readers over a Trace, shared by tests."""


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
            # Opcode bytes match; the rel32 points at the right symbol in our layout.
            assert p.data[:-4] == want[:-4], p.ins.text
            assert len(p.data) == len(want)
            target = p.address + len(p.data) + int.from_bytes(p.data[-4:], "little", signed=True)
            assert target == img.symbols[p.ins.operands[0].symbol], p.ins.text
        else:
            assert p.data == want, f"{p.ins.text}: {p.data.hex()} != {g['bytes']}"
