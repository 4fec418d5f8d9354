# Python's random module as a data pipeline uses it: seeded, shuffling indices into batches,
# drawing a validation split, noise and augmentation flags. Every value must be CPython's.
import random

random.seed(42)
print(random.random(), random.random())
print([random.randint(0, 9) for _ in range(10)])
print(random.randrange(100), random.randrange(5, 50, 5), random.randrange(10, -10, -3))
indices = list(range(20))
random.shuffle(indices)
print(indices)
batches = [indices[i:i + 6] for i in range(0, len(indices), 6)]
print(batches)
print(random.choice(["cat", "dog", "bird"]), random.choice("abcdef"))
print(random.uniform(-1.0, 1.0))
print([round(random.gauss(0.0, 0.1), 12) for _ in range(5)])
print(random.sample(range(100), 7))
print(random.sample(["a", "b", "c", "d"], 2))
print(random.getrandbits(8), random.getrandbits(70))

random.seed(2 ** 40 + 12345)
print(random.random())
random.seed(-7)
print(random.randint(1, 10 ** 20))
random.seed(0)
flips = [random.random() < 0.5 for _ in range(8)]
print(flips)
