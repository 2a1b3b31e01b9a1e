import 'reflect-metadata';
import { runSession } from '../../sample/main';
import { useTempDirectories } from '../support/temp-directory';

const tempDirectory = useTempDirectories();

describe('the sample app', () => {
  test('its scripted session moves money, rebuilds the same projections after a restart and verifies the chain', async () => {
    const directory = tempDirectory();
    const lines: string[] = [];
    const result = await runSession(directory, (line) => lines.push(line));
    const [ada, grace] = Object.values(result.balancesBefore);
    expect(ada).toMatchObject({ owner: 'Ada', balance: 180 });
    expect(grace).toMatchObject({ owner: 'Grace', balance: 250 });
    expect(result.balancesAfterRestart).toEqual(result.balancesBefore);
    expect(result.verify.events).toBe(7);
    expect(result.verify.head).toEqual(result.headBeforeRestart);
    expect(lines.join('\n')).toMatch(/projection balances: live at position 6, lag 0/);
    expect(lines.join('\n')).toMatch(/TransferReceived .*correlation transfer-/);
    expect(lines.join('\n')).toContain('(unchanged)');
  });

  test('a second session on the same directory keeps the first one’s events and adds its own', async () => {
    const directory = tempDirectory();
    await runSession(directory, () => undefined);
    const second = await runSession(directory, () => undefined);
    expect(second.verify.events).toBe(14);
    expect(Object.values(second.balancesAfterRestart).map((row) => row.balance)).toEqual([180, 250]);
  });
});
