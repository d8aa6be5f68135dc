// What up says when `kind create cluster` fails: the daemon's own reason when Docker refused a node (its output
// as the Docker tier sees it from the real engine), else kind's ERROR line.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { kindFailureLine } from '../../scripts/lib/up/phases/cluster.mts'

test('a node refused by the daemon (busy host port): the daemon\'s reason and the node, not "exit status 125"', () => {
  const out = [
    'Creating cluster "platform" ...',
    ' ✓ Ensuring node image (kindest/node:v1.34.0) 🖼',
    ' ✗ Preparing nodes 📦 📦 📦',
    'Deleted nodes: ["platform-worker" "platform-control-plane"]',
    'ERROR: failed to create cluster: command "docker run --name platform-control-plane --hostname platform-control-plane --publish=127.0.0.1:8080:80/TCP kindest/node:v1.34.0" failed with error: exit status 125',
    'Command Output: docker: Error response from daemon: driver failed programming external connectivity on endpoint platform-control-plane (0123): Bind for 127.0.0.1:8080 failed: port is already allocated.',
    '',
    "Run 'docker run --help' for more information",
  ].join('\n')
  assert.is(kindFailureLine(out), 'docker run of node platform-control-plane failed: Error response from daemon: driver failed programming external connectivity on endpoint platform-control-plane (0123): Bind for 127.0.0.1:8080 failed: port is already allocated.')
})

test('any other failure: kind\'s first ERROR line, else the last line', () => {
  assert.is(kindFailureLine('Creating cluster "x" ...\nERROR: failed to create cluster: failed to init node with kubeadm: exit status 1\nCommand Output: I1020 kubeadm'), 'ERROR: failed to create cluster: failed to init node with kubeadm: exit status 1')
  assert.is(kindFailureLine('something odd\n'), 'something odd')
  assert.is(kindFailureLine(''), 'no output')
})

test.run()
