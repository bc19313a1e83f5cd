// status.addresses of a Gateway from its spec.addresses and Tideway's own addresses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayAddresses } from '../../src/status/gateway-addresses.ts';

test('without spec.addresses a Gateway gets Tideway\'s addresses', () => {
  assert.deepEqual(gatewayAddresses([], [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }]), {
    addresses: [{ type: 'IPAddress', value: '203.0.113.9' }, { type: 'Hostname', value: 'lb.example.com' }], notUsable: null,
  });
});

test('requested addresses that are Tideway\'s are listed; the others are named as not usable', () => {
  const own = [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }];
  assert.deepEqual(gatewayAddresses([{ type: 'Hostname', value: 'lb.example.com' }], own), { addresses: [{ type: 'Hostname', value: 'lb.example.com' }], notUsable: null });
  const some = gatewayAddresses([{ type: 'IPAddress', value: '203.0.113.9' }, { type: 'IPAddress', value: '198.51.100.1' }, { type: 'Hostname', value: '203.0.113.9' }], own);
  assert.deepEqual(some.addresses, [{ type: 'IPAddress', value: '203.0.113.9' }]);
  assert.match(some.notUsable!, /^IPAddress 198\.51\.100\.1, Hostname 203\.0\.113\.9 cannot be assigned: Tideway's addresses are 203\.0\.113\.9, lb\.example\.com/);
  assert.match(gatewayAddresses([{ type: 'IPAddress', value: '203.0.113.9' }], []).notUsable!, /not known yet/);
});
