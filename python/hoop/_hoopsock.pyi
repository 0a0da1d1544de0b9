# hoop._hoopsock is made by python/glue/sock.c (hoopy_sock_install) inside
# the cffi extension: the C half of hoop.asyncio's socket receives.
from typing import Any, Dict, List, Tuple

def recv_ready(epfd: int, table: Dict[int, Tuple[Any, Any]],
               buf: Any) -> List[Tuple[Any, Exception]]: ...
