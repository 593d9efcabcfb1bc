// asm_amd64.s (instructions identical in Go 1.18 and Go 1.19.8)

// func gogo(buf *gobuf)
// restore state from Gobuf; longjmp

TEXT runtime·gogo(SB), NOSPLIT, $0-8
    MOVQ    buf+0(FP), BX       // gobuf（原文误作 +0(FP)）
    MOVQ    gobuf_g(BX), DX     // gobuf.g（原文误作 uf_g(BX)）
    MOVQ    0(DX), CX           // make sure g != nil（原文误作 X)）
    JMP     gogo<>(SB)
