// asm_amd64.s (instructions identical in Go 1.18 and Go 1.19.8)

TEXT gogo<>(SB), NOSPLIT, $0
    get_tls(CX)
    MOVQ    DX, g(CX)
    MOVQ    DX, R14             // set the g register

    // 切换到 G.stack。
    MOVQ    gobuf_sp(BX), SP    // restore SP
    MOVQ    gobuf_ret(BX), AX
    MOVQ    gobuf_ctxt(BX), DX
    MOVQ    gobuf_bp(BX), BP

    MOVQ    $0, gobuf_sp(BX)    // clear to help garbage collector
    MOVQ    $0, gobuf_ret(BX)
    MOVQ    $0, gobuf_ctxt(BX)
    MOVQ    $0, gobuf_bp(BX)

    // 跳转执行 G.fn。
    // 不会保存 gogo.PC，所以 G.fn RET 指向 goexit。
    MOVQ    gobuf_pc(BX), BX
    JMP     BX
