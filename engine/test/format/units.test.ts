import { createdAgo, goG, humanDuration, humanSize } from '../../src/format/units';

describe('go-units', () => {
  it('HumanSize: 1000-based, %g precision', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(4_261_000, 3)).toBe('4.26MB');
    expect(humanSize(1_234_567)).toBe('1.235MB');
    expect(humanSize(2_000_000_000, 3)).toBe('2GB');
    expect(goG(999.95, 3)).toBe('1e+03');
    expect(goG(0.5, 3)).toBe('0.5');
  });

  it('HumanDuration and the CREATED column', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1000)).toBe('1 second');
    expect(humanDuration(59_000)).toBe('59 seconds');
    expect(humanDuration(90_000)).toBe('About a minute');
    expect(humanDuration(5 * 60_000)).toBe('5 minutes');
    expect(humanDuration(70 * 60_000)).toBe('About an hour');
    expect(humanDuration(47 * 3_600_000)).toBe('47 hours');
    expect(humanDuration(3 * 86_400_000)).toBe('3 days');
    expect(humanDuration(20 * 86_400_000)).toBe('2 weeks');
    expect(humanDuration(100 * 86_400_000)).toBe('3 months');
    expect(humanDuration(3 * 365 * 86_400_000)).toBe('3 years');
    const now = Date.parse('2024-01-01T00:10:00Z');
    expect(createdAgo('2024-01-01T00:00:00Z', now)).toBe('10 minutes ago');
    expect(createdAgo(undefined, now)).toBe('N/A');
  });
});
