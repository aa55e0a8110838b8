/*
 * unit_symtab.S - a shared library whose symbol table holds the cases
 * libdw's address-to-symbol choice has rules for, so test_symbolizer can
 * hold the symbolizer's index to dwfl_module_addrinfo on each of them:
 * aliases at one address with other sizes and bindings (global, weak,
 * local), a symbol nested inside a larger one (a global in a global, a
 * weak in a global, in both table orders), sizeless labels (after a
 * sized symbol's end, inside one, at the very address of a global),
 * a local function between globals, hidden and protected symbols (in
 * .symtab, not exported), an object in .data, and an absolute symbol.
 * Every function is a run of nops: only the symbols matter.
 */
	.text

	.globl	outer
	.type	outer, @function
outer:				/* 64 bytes holding inner */
	.fill	16, 1, 0x90
	.globl	inner
	.type	inner, @function
inner:
	.fill	8, 1, 0x90
	.size	inner, 8
	.fill	40, 1, 0x90
	.size	outer, 64

	.globl	g_alias
	.type	g_alias, @function
	.weak	w_alias
	.type	w_alias, @function
	.type	l_alias, @function
g_alias:
w_alias:
l_alias:
	.fill	32, 1, 0x90
	.size	g_alias, 32
	.size	w_alias, 16
	.size	l_alias, 48

	.globl	label_after		/* sizeless, past every sized symbol */
label_after:
	.fill	16, 1, 0x90

	.type	local_fn, @function
local_fn:
	.fill	16, 1, 0x90
local_label:				/* sizeless, inside nothing sized */
	.fill	16, 1, 0x90
	.size	local_fn, 16

	.globl	hidden_fn
	.hidden	hidden_fn
	.type	hidden_fn, @function
hidden_fn:
	.fill	16, 1, 0x90
	.size	hidden_fn, 16

	.globl	protected_fn
	.protected protected_fn
	.type	protected_fn, @function
protected_fn:
	.fill	16, 1, 0x90
	.size	protected_fn, 16

	.globl	weak_fn
	.weak	weak_fn
	.type	weak_fn, @function
weak_fn:
	.fill	16, 1, 0x90
	.size	weak_fn, 16

	.globl	exact_label		/* a global label at a local's start */
	.type	local_at_label, @function
exact_label:
local_at_label:
	.fill	16, 1, 0x90
	.size	local_at_label, 16

	/* a weak symbol nested in a global one: libdw keeps whichever comes
	 * later in the table unless the earlier one binds more strongly, so
	 * the answer depends on table order; ld orders globals by hash, and
	 * of these pairs some come each way round */
	.irp	p, a, b, c, d, e, f
	.globl	big_\p
	.type	big_\p, @function
	.weak	near_\p
	.type	near_\p, @function
big_\p:
	.fill	8, 1, 0x90
near_\p:
	.fill	8, 1, 0x90
	.size	near_\p, 8
	.fill	8, 1, 0x90
	.size	big_\p, 24
	.endr

	.globl	tail_fn
	.type	tail_fn, @function
tail_fn:
	.fill	16, 1, 0x90
	.size	tail_fn, 16
	.fill	32, 1, 0x90		/* code after the last symbol */

	.data
	.globl	an_object
	.type	an_object, @object
an_object:
	.quad	1, 2
	.size	an_object, 16

	.globl	an_absolute
	.set	an_absolute, 0x1234

	.section .note.GNU-stack, "", @progbits
