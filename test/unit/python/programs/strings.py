# Strings: f-strings, format specs, %-formatting, str.format and methods.
w = 8
name = 'fc1'
v = 3.14159265
print(f'{name}: {v:.3f} [{v:>{w}.2f}] [{name:^9}] [{42:05d}] [{-42:+d}] [{1234567:,}] [{0.25:.1%}] [{1e-7:.2e}] [{12345.6789:g}]')
print(f'{v!r} {name!r} {name=} {v = :.2f} {{literal}} {3 + 4}')
print(f'[{"left":<10}|{"right":>10}|{"mid":*^11}]', f'{255:x} {255:X} {255:#x} {255:o} {5:b} {65:c}')
print('%s has %d params (%.2f%%) %r %5.1f|%-5d|%05d' % ('net', 42, 12.345, 'q', 2.25, 7, 33))
print('%(a)s-%(b)03d' % {'a': 'x', 'b': 7}, '%e' % 12345.678, '%g' % 0.0000123, '%g' % 123456789.0, '%i' % 3.9)
print('{} {} {}'.format(1, 'two', 3.0), '{1}{0}'.format('a', 'b'), '{x}-{y:.1f}'.format(x=1, y=2.25), '{0[1]} {o.real}'.format([5, 6], o=3))
print(format(3.5, '.3f'), format(12, '08b'), format('s', '>3'), format(1.0), format(100000000.0), format(1e16), format(0.1, 'g'))
s = '  Hello, World  '
print(s.strip(), s.lstrip(), s.rstrip(), s.lower(), s.upper(), s.strip().split(', '), 'a,b,,c'.split(','), '  a  b '.split())
print('-'.join(['x', 'y', 'z']), 'abc'.replace('b', 'B'), 'abcabc'.replace('a', '', 1), 'hello'.find('l'), 'hello'.rfind('l'), 'hello'.count('l'))
print('abc'.startswith('a'), 'abc'.endswith(('x', 'c')), 'abc'.title(), 'abc'.capitalize(), '42'.isdigit(), 'ab'.isalpha(), '7'.zfill(3), '-7'.zfill(4))
print('x'.center(5, '*'), 'x'.ljust(3, '.'), 'x'.rjust(3), 'a b c'.rsplit(' ', 1), 'k=v'.partition('='), 'line1\nline2'.splitlines())
print(len('héllo'), 'héllo'[1], 'abcdef'[1:4], 'abcdef'[::-1], 'abcdef'[-2:], 'abc' * 2, 'b' in 'abc', str(None), str([1, 'a']), repr('it\'s'))
print(str(1.0), str(10 ** 17 * 1.0), str(1 / 3), str(2e-5), str(True), repr(None), repr((1,)), repr(()), repr({}), repr(set()), repr({1: [2, (3,)]}))
