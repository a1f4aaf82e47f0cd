// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// Combobox measures its options' text on a canvas; jsdom has none. A fixed-width font will do.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return {
    font: '',
    measureText: (text) => ({ width: String(text).length * 8 }),
  };
};

// Combobox's virtual list (@tanstack/react-virtual) reads element sizes, which jsdom reports as zero.
Object.defineProperties(HTMLElement.prototype, {
  offsetHeight: { configurable: true, get: () => 400 },
  offsetWidth: { configurable: true, get: () => 400 },
  clientHeight: { configurable: true, get: () => 400 },
  clientWidth: { configurable: true, get: () => 400 },
});

// Used by Combobox's floating menu; jsdom has neither.
class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
global.IntersectionObserver = global.IntersectionObserver || NoopObserver;
global.ResizeObserver = global.ResizeObserver || NoopObserver;

// Combobox's virtual list sizes its viewport from the element's box.
Element.prototype.getBoundingClientRect = function getBoundingClientRect() {
  return { width: 400, height: 400, top: 0, left: 0, bottom: 400, right: 400, x: 0, y: 0, toJSON: () => ({}) };
};
