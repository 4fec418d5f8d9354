# collections.Counter as Udacity's sentiment-RNN notebook builds its vocabulary with it (a word count,
# sorted by count, numbered from 1), and the rest of Counter's dict-of-counts behaviour: what CPython
# 3.11 prints beside torch 1.13.
from collections import Counter

import numpy as np
import torch

text = "the cat sat on the mat . the dog sat on the log\nthe end\n\na cat"
words = text.replace("\n", " ").split()
counts = Counter(words)
print(counts)
print(len(counts), counts["the"], counts["zebra"], "zebra" in counts)
vocab = sorted(counts, key=counts.get, reverse=True)
print(vocab)
vocab_to_int = {word: ii for ii, word in enumerate(vocab, 1)}
print(vocab_to_int)
reviews_ints = [[vocab_to_int[w] for w in line.split()] for line in text.split("\n")]
print(reviews_ints)
review_lens = Counter([len(x) for x in reviews_ints])
print("Zero-length reviews: {}".format(review_lens[0]))
print("Maximum review length: {}".format(max(review_lens)))
print(counts.most_common(3), counts.most_common(0), counts.most_common()[-2:])
print(dict(counts.most_common(2)), list(counts.items())[:3], sum(counts.values()), counts.total())

c = Counter()
for w in words:
    c[w] += 1
print(c == counts, c)
c.update("tat")
c.update({"the": 2, "new": 1})
c.update(cat=10)
print(c.most_common(4))
c.subtract(["the"] * 8)
print(c["the"], c)
print(sorted(c.elements())[:6])
print(Counter({"a": 3, "b": -1}), Counter(a=2, b=0))
a = Counter("abracadabra")
b = Counter("alakazam")
print(a + b, a - b, a | b, a & b)
print(+Counter(a=2, b=-3, c=0), -Counter(a=2, b=-3, c=0))
d = a.copy()
del d["a"]
del d["zzz"]
print(type(d).__name__, d, a["a"])
print(Counter(), repr(Counter()), isinstance(a, dict))
print(Counter(a=1) == Counter(a=1, b=0), Counter(a=1) != Counter(a=1, b=0), Counter(a=1) == {"a": 1}, {"a": 1, "b": 0} == Counter(a=1))
print(Counter(a=1) <= Counter(a=2), Counter(a=2) < Counter(a=2), Counter(a=3, b=1) > Counter(a=2), [Counter(x=0)] == [Counter()])
e = Counter(np.array([1, 2, 2, 3]).tolist())
print(e, e[2], e.get(7), e.get(7, 0))
w = torch.tensor([float(counts[v]) for v in vocab])
print(w.tolist(), w.sum().item() == len(words))
try:
    Counter.fromkeys("abc")
except NotImplementedError as err:
    print("NotImplementedError:", err)
try:
    Counter("ab", "cd")
except TypeError as err:
    print("TypeError:", err)
