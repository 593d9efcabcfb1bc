// asm_amd64.s (Go 1.19.8; the same text as Go 1.18)
// 本书注：原文没有讲 morestack_noctxt；中文注释是本书自己加的。

// morestack but not preserving ctxt.
TEXT runtime·morestack_noctxt(SB), NOSPLIT, $0
    MOVL    $0, DX                              // 本书注：普通函数没有闭包上下文：DX = 0
    JMP     runtime·morestack(SB)               // 本书注：尾跳转，返回地址仍是 f 序言里的那个
