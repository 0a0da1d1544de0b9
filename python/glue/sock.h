/* hoop.asyncio's socket receives (python/glue/sock.c): the one declaration
 * cffi reads (hoop_build.py adds it to the cdef). hoopy_sock_install makes
 * the module hoop._hoopsock. */
int hoopy_sock_install(void);
