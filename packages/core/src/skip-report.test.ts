import { DiloInputError } from './errors';
import { resetSkippedInputs, SkipReport, skippedInputsThisRun } from './skip-report';

describe('SkipReport', () => {
  it('names each file once, in one line, counts it, and rethrows errors that are not about an input', () => {
    resetSkippedInputs();
    const lines: string[] = [];
    const r = new SkipReport((l) => lines.push(l));
    expect(r.skip('a.jpg', 'VipsJpeg: premature end\nsecond stage failed\n')).toBe(true);
    expect(r.skip('a.jpg', 'again')).toBe(false);
    r.skipError(new DiloInputError('b.png', 'corrupt PNG: bad CRC in chunk IHDR at byte 8'));
    expect(() => r.skipError(new Error('out of memory'))).toThrow('out of memory');
    r.processed = 5;
    expect(lines).toEqual(['skip a.jpg: VipsJpeg: premature end; second stage failed\n', 'skip b.png: corrupt PNG: bad CRC in chunk IHDR at byte 8\n']);
    expect(r.counts()).toEqual({
      processed: 5,
      skipped: 2,
      skippedFiles: [
        { file: 'a.jpg', problem: 'VipsJpeg: premature end; second stage failed' },
        { file: 'b.png', problem: 'corrupt PNG: bad CRC in chunk IHDR at byte 8' },
      ],
    });
    expect(r.summary()).toBe('5 processed, 2 skipped (listed above)');
    expect(skippedInputsThisRun()).toBe(2);
    resetSkippedInputs();
    expect(skippedInputsThisRun()).toBe(0);
  });
});
