// What the demo's header and the CLI's log lines call the runtime and the adapter.
import { describe, expect, it } from 'vitest';
import { adapterName, browserName, describeReport, type AdapterReport } from '../src/gpu/device.ts';

const report = (over: Partial<AdapterReport>): AdapterReport => ({
  runtime: 'node',
  backend: 'opengles',
  adapter: 'llvmpipe',
  kind: 'llvmpipe',
  fallback: true,
  vendor: '',
  architecture: '',
  features: [],
  limits: {},
  skipped: [],
  ...over,
});

describe('naming the adapter and the browser', () => {
  it('names an adapter from device and description, else from vendor and architecture', () => {
    expect(adapterName({ device: 'llvmpipe (LLVM 15)', description: 'OpenGL ES 3.2 Mesa' })).toBe(
      'llvmpipe (LLVM 15) / OpenGL ES 3.2 Mesa',
    );
    expect(adapterName({ device: '0', description: 'Intel Arc' })).toBe('Intel Arc');
    // Browsers leave device and description empty.
    expect(adapterName({ vendor: 'google', architecture: 'swiftshader', device: '', description: '' })).toBe(
      'google swiftshader',
    );
    expect(adapterName({ vendor: 'nvidia', architecture: '' })).toBe('nvidia');
    expect(adapterName({})).toBe('unnamed adapter');
  });

  it("names the browser from userAgentData's brands, else from the user agent", () => {
    const brands = [
      { brand: 'Not A(Brand', version: '99' },
      { brand: 'Chromium', version: '131' },
      { brand: 'Google Chrome', version: '131' },
    ];
    expect(browserName({ userAgentData: { brands } })).toBe('Google Chrome 131');
    expect(browserName({ userAgentData: { brands: brands.slice(0, 2) } })).toBe('Chromium 131');
    const ua = (s: string) => browserName({ userAgent: s });
    expect(ua('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0.0.0 Safari/537.36')).toBe(
      'HeadlessChrome 131',
    );
    expect(ua('Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 Edg/130.0')).toBe(
      'Edge 130',
    );
    expect(ua('Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0')).toBe('Firefox 141');
    expect(ua('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15')).toBe(
      'Safari 26',
    );
    expect(browserName({})).toBe('a browser');
  });

  it('says the browser once in a browser, and runtime and backend elsewhere', () => {
    const browser = report({
      runtime: 'browser',
      backend: 'browser',
      adapter: 'google swiftshader',
      browser: 'Chrome 131',
    });
    expect(describeReport(browser)).toBe('Chrome 131 · google swiftshader · software');
    expect(describeReport(report({}))).toBe('node · opengles · llvmpipe · software');
  });
});
