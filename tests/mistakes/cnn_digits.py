"""Common mistakes in the cnn_digits exercise, each caught by a visible test (each trains a network,
for a second or two)."""

MISTAKES = {
    'a training loop whose labels are not shuffled with the images': ('cnn-model', """
def build_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 2 * 2, 10))


def train(model, X, y):
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(25):
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[batch]), y[i:i + 64]).backward()
            optimizer.step()
    return model
""", 'cnn-model-test'),
    'plain SGD at the learning rate meant for Adam': ('cnn-model', """
def build_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 2 * 2, 10))


def train(model, X, y):
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=3e-3)
    for epoch in range(25):
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
    return model
""", 'cnn-model-test'),
    'a training loop that never zeroes the gradients': ('cnn-model', """
def build_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 2 * 2, 10))


def train(model, X, y):
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(25):
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), 64):
            batch = order[i:i + 64]
            torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
    return model
""", 'cnn-model-test'),
    'a training function that does not return the model': ('cnn-model', """
def build_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(32 * 2 * 2, 10))


def train(model, X, y):
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(25):
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
""", 'cnn-model-test'),
}
