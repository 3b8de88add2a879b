import t from 'tap';
import { UspError, UspErrorCode, InvalidPathError } from '../../datamodel/errors.js';
t.test('UspError subclasses carry their code', async (t) => {
  const e = new InvalidPathError('nope', 'Device.X.');
  t.ok(UspError.is(e, UspErrorCode.InvalidPath));
  t.equal(e.path, 'Device.X.');
});
