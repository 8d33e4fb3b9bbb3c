"""The network client: the sans-I/O cores, the one asyncio driver, hosting and joining."""
