# Starred items and arguments whose value is a call, an attribute or a subscript: the star unpacks
# the whole item (`[*self.blocks()]`, `(*words.split(), "end")`), as in layer lists built by a method.


class Stack:
    def __init__(self, widths):
        self.widths = widths

    def _make_layers(self):
        return ["linear%d" % w for w in self.widths] + ["relu"]

    def all(self):
        return [*self._make_layers(), *self.widths[1:], "out"]


def sequential(*layers):
    return " > ".join(str(layer) for layer in layers)


s = Stack([4, 8, 16])
print(s.all())
print(sequential(*s._make_layers()))
print(sequential(*s.all()[::2]))
text = "the quick brown fox"
print((*text.split(), "end"))
print({*text.upper().split()} == set(text.upper().split()))
first, *rest = [*text.split()[1:], *"ab"]
print(first, rest)
pairs = [*zip(*[s.widths, s._make_layers()])]
print(pairs)
print(max(*s.widths[:2], *[3]))
