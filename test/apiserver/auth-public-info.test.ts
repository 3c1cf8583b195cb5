/** Which requests an anonymous caller may make (system:public-info-viewer's paths). */
import assert from 'node:assert/strict';
import { isPublicInfo } from '../../src/apiserver/auth/public-info.js';

describe('apiserver: public info for anonymous callers', () => {
  it('lets GET and HEAD of /healthz, /livez, /readyz and /version through', () => {
    for (const p of ['/healthz', '/livez', '/readyz', '/version', '/version/']) {
      assert.equal(isPublicInfo('GET', p), true, p);
      assert.equal(isPublicInfo('HEAD', p), true, p);
    }
  });

  it('refuses other verbs, single checks and every other path', () => {
    assert.equal(isPublicInfo('POST', '/readyz'), false);
    for (const p of ['/readyz/etcd', '/healthz/ping', '/api', '/api/v1/namespaces', '/openapi/v3', '/', '/readyz/']) {
      assert.equal(isPublicInfo('GET', p), false, p);
    }
  });
});
