// Test processes default to one tensor thread (unless DILO_THREADS is set). Every jest test file
// loads its own tfjs-backend-wasm instance, and with threads each starts its own pthread pool that
// lives until the process exits, so a project's suites pile up idle worker threads and wasm
// memories in one process; a no-cache CI run here once hung in the detection suites with 31
// threads idle (not reproduced since). CI also runs two projects at once on 2 cores, where extra
// threads only oversubscribe. Tests about threads ask for them explicitly. OpenMP (the torch
// engine) waits passively instead of spinning.
process.env.DILO_THREADS ??= '1';
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
