"""torchvision.utils stand-in: the examples save sample images after training (never reached by the
parity run, which stops at the first backward); only the import has to work."""


def save_image(tensor, fp, **kwargs):
    pass


def make_grid(tensor, **kwargs):
    return tensor
