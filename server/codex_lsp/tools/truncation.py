"""Long tool output cut for the model: its head and tail kept, the middle named. Its own module
because every output-returning tool and the review use it, and none should load ``shell``."""


def truncate_middle(text: str, budget: int) -> str:
    """``text`` cut to about ``budget`` bytes, keeping its head and tail."""
    encoded = text.encode("utf-8")
    if len(encoded) <= budget:
        return text
    half = budget // 2
    head = encoded[:half].decode("utf-8", "ignore")
    tail = encoded[-half:].decode("utf-8", "ignore")
    omitted = len(encoded) - 2 * half
    return f"{head}\n[... {omitted} bytes of output omitted ...]\n{tail}"
