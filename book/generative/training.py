"""The training loop of the unsupervised pages: Adam on shuffled mini-batches of examples alone."""
import torch

from ..stepping import exhaust


def epoch_in_parts(model, X, batch_loss, optimizer, batch_size, generator):
    """One pass of ``optimizer`` over shuffled mini-batches of the rows of ``X``, yielding after
    each batch (``book.stepping``); returns the epoch's mean loss (a tensor: one loss, or one
    per model)."""
    order, total = torch.randperm(len(X), generator=generator), 0.0
    for i in range(0, len(X), batch_size):
        batch = X[order[i:i + batch_size]]
        loss = batch_loss(model, batch, generator)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
        total = total + loss.detach() * len(batch)
        yield
    return total / len(X)


def fit(model, X, batch_loss, epochs, batch_size, lr, seed=0, record=None, every=1):
    """Adam on ``batch_loss(model, batch, generator)`` (a tensor whose sum is minimized: one loss,
    or one per model trained in lockstep) over shuffled mini-batches of the rows of ``X``. One
    seeded generator draws the order and whatever noise the loss needs. ``record(model)``, before
    training and after every ``every`` epochs, gives the returned list; without it, each epoch's
    mean loss (a float, or a list with one per model)."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    values = [record(model)] if record else []
    for i in range(epochs):
        mean = exhaust(epoch_in_parts(model, X, batch_loss, optimizer, batch_size, generator))
        if record is None:
            values.append(mean.tolist())
        elif (i + 1) % every == 0:
            values.append(record(model))
    return values
