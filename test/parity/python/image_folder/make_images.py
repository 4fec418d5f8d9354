"""Writes the image folder image_folder_cnn.py reads under PyTorch: eight 24x20 RGB PNGs of seeded noise.
(Gradient Lens reads no file: synthetic images stand for these; the parity run hands PyTorch's batch over.)"""
import os

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026)
for i in range(8):
    Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(os.path.join(here, f"picture_{i}.png"))
