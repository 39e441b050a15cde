package org.apbj.model;

import org.apbj.kernels.runtime.Device;

/** The tiny-niah golden checks on PoCL (or the device named by -Dapbj.test.device). */
class TinyNiahGoldenTest extends TinyNiahGoldenChecks {
    @Override
    Device openDevice() { return TestDevices.open(TestDevices.fastSpec()); }
}
