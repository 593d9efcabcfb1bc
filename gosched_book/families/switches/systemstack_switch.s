// asm_amd64.s (instructions identical in Go 1.18 and Go 1.19.8)

// systemstack_switch is a dummy routine that systemstack leaves at the bottom
// of the G stack. We need to distinguish the routine that
// lives at the bottom of the G stack from the one that lives
// at the top of the system stack because the one at the top of
// the system stack terminates the stack walk (see topofstack()).
TEXT runtime·systemstack_switch(SB), NOSPLIT, $0-0
    RET                                         // 只取它的地址，充当 g.sched.pc（假的 PC）
