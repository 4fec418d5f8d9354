import assert from 'node:assert/strict';
import { LIGHT_THEME, paletteColor } from '../../../webview/charts/theme';

describe('chart themes', () => {
  it('the light theme has a palette of distinct colours, reused in order past its end', () => {
    assert.equal(new Set(LIGHT_THEME.palette).size, LIGHT_THEME.palette.length);
    assert.ok(LIGHT_THEME.palette.length >= 8);
    assert.equal(paletteColor(LIGHT_THEME, LIGHT_THEME.palette.length + 1), LIGHT_THEME.palette[1]);
  });
});
