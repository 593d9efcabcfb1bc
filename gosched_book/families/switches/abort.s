// asm_amd64.s (instructions identical in Go 1.18 and Go 1.19.8)

TEXT runtime·abort(SB),NOSPLIT,$0-0
    INT     $3                  // 触发 SIGTRAP
loop:
    JMP     loop                // 若调试器让它继续，就原地死循环
