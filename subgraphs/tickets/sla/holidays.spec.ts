import { parseHolidayFile, shippedHolidaySets } from './holidays.js';

describe('holiday data', () => {
  it('ships the 2026 Chinese public holidays and make-up workdays', () => {
    const cn = shippedHolidaySets().get('cn')!;
    expect(cn.years).toEqual(expect.arrayContaining([2026]));
    const y2026 = (s: ReadonlySet<string>) => [...s].filter((d) => d.startsWith('2026')).sort();
    // 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7
    expect(y2026(cn.holidays)).toHaveLength(33);
    expect(y2026(cn.workdays)).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    for (const d of ['2026-01-01', '2026-02-15', '2026-02-23', '2026-04-06', '2026-05-05', '2026-06-19', '2026-09-25', '2026-10-07']) expect(cn.holidays.has(d)).toBe(true);
    for (const d of ['2026-02-24', '2026-05-06', '2026-10-08']) expect(cn.holidays.has(d)).toBe(false);
  });

  it('refuses malformed data with the path of the problem', () => {
    const year = (holidays: unknown[], workdays: unknown[] = []) => ({ cn: { name: 'x', years: { '2026': { source: 's', holidays, workdays } } } });
    expect(() => parseHolidayFile(year([{ name: '春节', from: '2026-02-30', to: '2026-03-01' }]))).toThrow(/cn\.years\.2026\.holidays\.0\.from/);
    expect(() => parseHolidayFile(year([{ name: '春节', from: '2026-02-20', to: '2026-02-15' }]))).toThrow('is before');
    expect(() => parseHolidayFile(year([{ name: '元旦', from: '2026-12-31', to: '2027-01-01' }]))).toThrow('is not in 2026');
    expect(() => parseHolidayFile(year([{ name: '元旦', from: '2026-01-01', to: '2026-01-01' }], [{ name: 'x', date: '2026-01-01' }]))).toThrow('both a holiday and a workday');
    expect(() => parseHolidayFile({ CN: { name: 'x', years: {} } })).toThrow('invalid holiday data');
  });
});
