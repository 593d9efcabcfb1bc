"""Facts about Go itself: struct layouts (go_asm.h), the toolchain's golden bytes, source lines."""
