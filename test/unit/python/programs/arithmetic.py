# Numbers: int/float distinction, floor division and modulo signs, powers, comparisons, bool as int.
print(7 / 2, 7 // 2, -7 // 2, 7 // -2, 7 % 3, -7 % 3, 7 % -3, -7.5 // 2, -7.5 % 2, 7.0 // 2)
print(2 ** 10, 2 ** -2, (-2) ** 3, 2 ** 0.5, 10 ** 20, 3 ** 40, -2 ** 2)
print(True + True, True * 3, 1 == 1.0, 0.1 + 0.2, 1e300 * 10, -1e300 * 10)
print(1 < 2 < 3, 1 < 3 < 2, 3 > 2 == 2, 'a' < 'b', [1, 2] < [1, 3], (1, 2) == (1, 2), [1] == (1,))
print(abs(-3), abs(-3.5), round(2.5), round(3.5), round(-2.5), round(2.675, 2), round(1234, -2), round(0.5), round(1.5))
print(int('42'), int(' -7 '), int(3.99), int(-3.99), float('1e-3'), float('inf'), int('ff', 16), int('0x1f', 16), int('0b101', 0))
print(divmod(7, 2), divmod(-7, 2), pow(2, 10, 1000), max(3, 1, 2), min([4, 2, 8]), sum([1.5, 2.5]), sum([[1], [2]], []))
print(1_000_000, 0x1F, 0o17, 0b101, 1., .5, 1e3, 1E-3)
print(float('nan') == float('nan'), bool(0.0), bool(float('nan')), bool(-1), bool(''), bool('0'), bool([]), bool([0]))
print(10 & 6, 10 | 6, 10 ^ 6, 1 << 10, 1024 >> 3, ~5, -(-3))
print(isinstance(True, int), isinstance(1, float), isinstance(1.0, (int, float)), type(1 / 1).__name__, type(True + 1).__name__)
print(hex(255), oct(8), bin(5), chr(65), ord('A'), hash(1) == hash(1.0))
x = 5
x += 2; x *= 3; x //= 4; x **= 2; x -= 1; x %= 7
print(x)
print(repr(0.1), repr(1e16), repr(1e15), repr(1.5e-5), repr(0.0001), repr(123456789.0), repr(-0.0), repr(1e22), str(2.0))
print(3 * 'ab', [0] * 3, (1, 2) * 2, 'x' + 'y', [1] + [2, 3])
