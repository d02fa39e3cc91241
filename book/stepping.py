"""Long computations written as generators that ``yield`` between parts, so a live widget can
serve the kernel (and Stop) in the middle; everything else runs them to the end at once."""


def exhaust(parts):
    """Run a generator of parts to its end; its return value."""
    while True:
        try:
            next(parts)
        except StopIteration as done:
            return done.value
