/* global setTimeout */
// Loaded with --require (NODE_OPTIONS) by a test: a fault no code catches, TEST_FAULT_AFTER_MS after
// the process starts: an exception thrown from a timer, or (TEST_FAULT=rejection) a rejected promise
// nobody awaits.
setTimeout(
  () => {
    if (process.env.TEST_FAULT === 'rejection') void Promise.reject(new Error('a rejection no code handled'));
    else throw new Error('a fault no code caught');
  },
  Number(process.env.TEST_FAULT_AFTER_MS ?? 2000),
);
