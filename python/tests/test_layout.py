"""cffi notices a layout mismatch only when a type is first used: touch
every struct of the cdef and compare with the C compiler's own numbers,
which the build compiled into hoopy_layout()."""

import hoop
from hoop import ffi, lib


def c_layout():
    rows = []
    t = lib.hoopy_layout()
    i = 0
    while t[i].type != ffi.NULL:
        field = None if t[i].field == ffi.NULL else ffi.string(t[i].field).decode()
        rows.append((ffi.string(t[i].type).decode(), field, t[i].value))
        i += 1
    return rows


def test_every_struct_and_field_matches_the_c_compiler():
    rows = c_layout()
    assert len(rows) > 50
    for type_name, field, value in rows:
        if field is None:
            assert ffi.sizeof(type_name) == value, type_name
        else:
            assert ffi.offsetof(type_name, field) == value, (type_name, field)


def test_table_covers_every_struct_with_fields():
    typedefs, structs, unions = ffi.list_types()
    covered = {t for t, f, _ in c_layout()}
    for name in structs:
        if name.startswith("hoopy_"):
            continue  # the test table itself
        try:
            ffi.sizeof("struct " + name)
        except ffi.error:
            continue  # opaque (.fields would trip an assertion in cffi)
        assert "struct " + name in covered, name
    assert "hoop_ring_params" in covered and "hoop_engine_params" in covered


def test_known_sizes():
    assert ffi.sizeof("struct hoop_sqe") == 64
    assert ffi.sizeof("struct hoop_cqe") == 16
    assert ffi.sizeof("struct hoop_op") == 64
    assert ffi.sizeof("struct hoop_completion") == 24
    assert ffi.sizeof("struct hoop_timespec") == 16
    assert ffi.offsetof("struct hoop_completion", "res") == 16
    assert ffi.offsetof("struct hoop_op", "user_data") == 32


def test_version_matches_headers():
    expect = "%d.%d.%d" % (lib.HOOP_VERSION_MAJOR, lib.HOOP_VERSION_MINOR,
                           lib.HOOP_VERSION_PATCH)
    assert hoop.core_version == expect
    assert lib.hoop_version() == lib.HOOP_VERSION_NUMBER
