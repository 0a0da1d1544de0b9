/* hoop.Ring's C half (python/glue/ring.c): the one declaration cffi reads
 * (hoop_build.py adds it to the cdef). hoopy_install makes the module
 * hoop._hoopy, whose type RingCore is hoop.Ring's base class. */
int hoopy_install(void);
