# hoop._hoopsock is made by python/glue/sock.c (hoopy_sock_install) inside
# the cffi extension: the C half of hoop.asyncio's socket receives.
from typing import Any, Callable, Dict, List, Optional, Tuple

def recv_ready(epfd: int, table: Dict[int, Tuple[Any, Any]],
               buf: Any, failed: List[Tuple[Any, Exception]]) -> None: ...

class Sender:
    direct: int
    closing: int
    fd: int
    def __init__(self, fd: int, slow: Callable[[Any, Optional[int]], None]) -> None: ...
    def write(self, data: Any) -> None: ...
    def is_closing(self) -> bool: ...
