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


