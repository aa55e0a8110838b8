/*
 * unit_dlmod.c - a tiny shared library for test_module_map: the test dlopens
 * it to see a module appear (a loaded event, a new id) and dlcloses it to
 * see the module go (an unloaded event, the same id, loaded == 0). It
 * exports one function whose address must map back to this library.
 */
int hbunit_dlmod_answer(int x);

int hbunit_dlmod_answer(int x)
{
	return x * 2 + 1;
}
