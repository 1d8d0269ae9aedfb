-- lua/presets.lua - device presets for real drive classes.
--
-- Each preset is a function: presets.NAME(overrides) returns a device table
-- (model = "hdd" plus keys of the hdd parameter schema, or model = "ssd" plus
-- keys of the ssd schema, see `powercut list params`), with the keys of the optional `overrides` table
-- replacing the preset's. Unknown keys are reported by the simulator when the
-- scenario is resolved, with a did-you-mean hint.
--
--   local presets = require "presets"
--   device = presets.sata_7200 { cache_mb = 0 }   -- same drive, write cache off
--
-- `powercut list presets` prints every preset with its key parameters and the
-- one-line summary from `presets.about` below.
--
-- The figures are typical of the drive class, taken from the ranges that
-- manufacturers' datasheets give for such drives; they are not the
-- measurements of one particular unit. Where a figure is a modelling choice
-- rather than a datasheet value, the comment says so.

local presets = {}

-- A copy of `base` with `overrides` applied; keys must be strings.
local function merge(name, base, overrides)
  if overrides ~= nil and type(overrides) ~= "table" then
    error(("presets.%s: expected a table of overrides, got %s"):format(name, type(overrides)), 3)
  end
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(overrides or {}) do
    if type(k) ~= "string" then
      error(("presets.%s: override keys must be parameter names, got %s %s")
            :format(name, type(k), tostring(k)), 3)
    end
    t[k] = v
  end
  return t
end

-- One-line summaries for `powercut list presets` (a table, not a preset).
presets.about = {}

-- presets.NAME(overrides) for the device table `base`. (Not a tail call:
-- merge's errors blame the scenario line, two levels up.)
local function define(name, about, base)
  presets.about[name] = about
  presets[name] = function(overrides)
    local t = merge(name, base, overrides)
    return t
  end
end

-- 3.5" 7200 rpm SATA desktop disk, 1 TB, 64 MiB cache. Its figures are also
-- the hdd schema's defaults.
local sata_7200 = {
  model = "hdd",
  capacity_gb = 1000,     -- 1 TB: common desktop capacity (e.g. WD Blue WD10EZEX, Seagate BarraCuda ST1000DM010 class)
  rpm = 7200,             -- datasheet spindle speed of the class
  cache_mb = 64,          -- typical 7200 rpm desktop drive datasheet, e.g. WD Blue WD10EZEX: 64 MB cache, 7200 rpm
  seek_track_ms = 0.8,    -- track-to-track: typical datasheet figure for the class (about 1 ms or less)
  seek_avg_ms = 8.5,      -- average read seek: typical desktop datasheet figure (8.5-9 ms)
  seek_full_ms = 16,      -- full stroke: typical figure for 3.5" desktop drives (about 15-20 ms)
  outer_mb_s = 190,       -- max sustained rate at the outer diameter: typical datasheet range 150-210 MB/s
  inner_mb_s = 95,        -- inner diameter: roughly half the outer rate (shorter tracks), typical of zone benchmarks
  zones = 16,             -- modelling choice: real drives have tens of zones; 16 steps approximate the curve
  iface_mb_s = 600,       -- SATA 6 Gb/s interface (SATA 3.x): 600 MB/s after 8b/10b encoding
  ncq_depth = 32,         -- SATA NCQ allows at most 32 outstanding commands
  cmd_overhead_us = 20,   -- modelling choice: controller overhead per command, order of tens of microseconds
  fua = true,             -- modern SATA drives accept FUA writes (WRITE FPDMA QUEUED with the FUA bit)
  flush = "honest",       -- FLUSH CACHE destages what it covers (SEMANTICS D1)
  report_cache = "auto",  -- the kernel sees the cache the drive reports (IDENTIFY: write cache enabled)
  atomic_bytes = 4096,    -- Advanced Format drives: 4 KiB physical sectors (512-byte logical emulation, "512e")
}
define("sata_7200", "7200 rpm SATA desktop disk, 1 TB, 64 MiB volatile cache", sata_7200)

-- The same mechanics with a 32 MiB cache: the older or cheaper members of
-- the class (e.g. the Seagate Barracuda 7200.12 generation shipped 32 MB
-- caches). Only the cache differs, so comparisons isolate its size.
define("sata_7200_32mb", "the 7200 rpm SATA disk with a 32 MiB cache (older/cheaper members of the class)",
       merge("sata_7200_32mb", sata_7200, { cache_mb = 32 }))

-- 2.5" 10,000 rpm SAS enterprise disk, 1.2 TB, 128 MiB cache. Some OEM
-- firmware ships enterprise SAS drives with the write cache disabled (WCE = 0,
-- check with `sdparm --get WCE`): model that with { cache_mb = 0 }.
define("sas_10k", "10k rpm 2.5\" SAS enterprise disk, 1.2 TB, 128 MiB volatile cache", merge("sas_10k", sata_7200, {
  capacity_gb = 1200,     -- 1.2 TB: a common capacity of the 2.5" 10k class (typical datasheet figure)
  rpm = 10000,            -- datasheet spindle speed of the class
  cache_mb = 128,         -- typical datasheet figure for recent 10k SAS drives (64-128 MB; some newer ones 256)
  seek_track_ms = 0.4,    -- track-to-track: typical datasheet figure for enterprise drives (0.2-0.5 ms)
  seek_avg_ms = 3.8,      -- average read seek: typical 10k datasheet figure (3.6-4.2 ms)
  seek_full_ms = 8,       -- full stroke: modelling choice, about twice the average on a 2.5" platter
  outer_mb_s = 230,       -- max sustained rate at the outer diameter: typical datasheet figure (200-250 MB/s)
  inner_mb_s = 130,       -- inner diameter: modelling choice, a bit over half the outer rate (small 2.5" platters)
  iface_mb_s = 1200,      -- SAS 12 Gb/s (SAS-3): 1200 MB/s after 8b/10b encoding
  ncq_depth = 64,         -- modelling choice: SAS tagged queueing allows far more; 64 commands inside the drive
  fua = true,             -- SCSI drives advertise FUA (mode header DPOFUA) and honour it
}))

-- 2.5" 15,000 rpm SAS enterprise disk, 900 GB, 128 MiB cache. Same caveat
-- about WCE as the 10k disk.
define("sas_15k", "15k rpm 2.5\" SAS enterprise disk, 900 GB, 128 MiB volatile cache", merge("sas_15k", sata_7200, {
  capacity_gb = 900,      -- 900 GB: the largest common capacity of the 2.5" 15k class (typical datasheet figure)
  rpm = 15000,            -- datasheet spindle speed of the class
  cache_mb = 128,         -- typical datasheet figure for recent 15k SAS drives (64-128 MB; some newer ones 256)
  seek_track_ms = 0.2,    -- track-to-track: typical datasheet figure for 15k drives (0.2-0.4 ms)
  seek_avg_ms = 2.9,      -- average read seek: typical 15k datasheet figure (2.6-3.4 ms)
  seek_full_ms = 6,       -- full stroke: modelling choice, about twice the average (short-stroke 2.5" platters)
  outer_mb_s = 290,       -- max sustained rate at the outer diameter: typical datasheet figure (250-315 MB/s)
  inner_mb_s = 190,       -- inner diameter: modelling choice, about two thirds of the outer rate
  iface_mb_s = 1200,      -- SAS 12 Gb/s (SAS-3): 1200 MB/s after 8b/10b encoding
  ncq_depth = 64,         -- modelling choice: SAS tagged queueing allows far more; 64 commands inside the drive
  fua = true,             -- SCSI drives advertise FUA (mode header DPOFUA) and honour it
}))

-- A "lying" drive (SEMANTICS §4.3, D3): the 7200 rpm SATA disk whose
-- firmware acknowledges FLUSH CACHE at once without destaging, and FUA
-- writes from its cache. It still reports a volatile cache and FUA, so the
-- kernel keeps sending flushes that do nothing: with barriers on, fsync can
-- lose data and the journal can replay garbage. The PostgreSQL manual warns
-- that drives which do not honour cache flushes exist (wal.sgml, "Reliable
-- Operation") and suggests testing with diskchecker.pl. Nothing here is a
-- probability: what is lost is what is still dirty in the cache at the cut.
define("lying_sata_7200", "the 7200 rpm SATA disk with firmware that acks FLUSH/FUA without honouring them",
       merge("lying_sata_7200", sata_7200, {
  flush = "ignore",       -- FLUSH acknowledged at once, FUA acknowledged from the cache (D3)
}))

-- A virtual disk on a QEMU/KVM host with cache=unsafe (SEMANTICS §4.3, H7):
-- the host "may cache all content and ignore flush requests from the guest".
-- Modelled as one drive whose volatile cache is the host's page cache and
-- whose mechanics are the host disk under the image file (the 7200 rpm SATA
-- disk). The host writes back on its own schedule, not on the guest's
-- flushes; a host power cut loses whatever is still dirty there.
define("virtual_disk_unsafe", "a VM disk with QEMU cache=unsafe: host page cache as a volatile cache, flushes ignored",
       merge("virtual_disk_unsafe", sata_7200, {
  flush = "ignore",       -- cache=unsafe: guest flushes are ignored (virt-install docs; RHEL 7 Virtualization Tuning Guide)
  fua = true,             -- modelling choice: FUA is accepted and, like flush, not honoured (acked from the cache)
  cache_mb = 1024,        -- modelling choice: the share of host RAM the host lets be dirty (vm.dirty_ratio), here 1 GiB
  policy = "clook",       -- modelling choice: host writeback walks the image file's dirty pages in offset order
  window = 1024,          -- modelling choice: host writeback is not limited by a drive's command queue
  idle_ms = 5000,         -- modelling choice: Linux's flusher wakes every 5 s (vm.dirty_writeback_centisecs = 500)
  iface_mb_s = 2000,      -- modelling choice: a virtio request is a memory copy into the host page cache (GB/s)
  cmd_overhead_us = 30,   -- modelling choice: a VM exit and a host system call per request, tens of microseconds
  ncq_depth = 128,        -- modelling choice: a virtio-blk queue holds on the order of a hundred requests
}))

-- ---- RAID controllers (device.model = "raid") ---------------------------
-- These return a `raid` table (model = "raid" plus keys of the raid schema,
-- `powercut list params`); the member drives are the `device` table:
--
--   device = presets.sata_7200 { model = "raid" }   -- each member drive
--   raid = presets.megaraid_bbu { member_cache = true }
--
-- Timing figures of the controller are modelling choices (the model only
-- charges a per-command overhead and a transfer rate into its cache).

-- A MegaRAID-style controller with a battery-backed write-back cache
-- (SEMANTICS §5.1): RAID-1 of two drives, member caches disabled as the
-- vendors ship it, host flushes drained (PostgreSQL docs' behaviour). With
-- a non-volatile cache and member caches off it advertises write-through,
-- so the host sends no flushes (RHEL "Write Barriers", H9).
local megaraid_bbu = {
  model = "raid",
  level = 1,              -- modelling choice: the simplest redundant array
  disks = 2,
  stripe_blocks = 16,     -- 64 KiB strip: typical default strip size of MegaRAID-class controllers (vendor doc)
  cache_mb = 1024,        -- 1 GiB: typical cache of current MegaRAID-class cards (vendor datasheets list 1-8 GB)
  write_policy = "write-back",  -- vendor doc: write-back only while the battery is good, else write-through
  backing = "battery",
  hold_h = 72,            -- "up to 72 hours" hold-up (3ware, SEMANTICS §5.1)
  member_cache = false,   -- vendor doc: member disk caches "disabled by default" (Intel RAID guide, SEMANTICS §5.1)
  flush = "drain",        -- PostgreSQL docs: SYNCHRONIZE CACHE drains the controller cache (SEMANTICS §5.2)
  destage_depth = 32,     -- modelling choice
  ctrl_mb_s = 2000,       -- modelling choice: PCIe 3.0 x8 cards move a few GB/s
  cmd_overhead_us = 10,   -- modelling choice
}
define("megaraid_bbu", "RAID controller, 1 GiB battery-backed write-back cache (72 h), member caches off",
       megaraid_bbu)

-- The same controller with "always/forced write-back" and no battery: a
-- volatile cache at the array level (R3). Dell/Intel/MegaRAID docs: "data
-- loss may occur in the event of a power failure".
define("megaraid_forced_wb", "the same controller in forced write-back without a battery: a volatile array cache",
       merge("megaraid_forced_wb", megaraid_bbu, {
  write_policy = "forced-write-back",   -- vendor doc: "Always Write Back" / "Force WB"
  backing = "none",
}))

-- A high-end array (RHEL "Write Barriers", H11): mirrored, flash-backed
-- non-volatile cache, large, member drives' state never matters to the host.
-- Modelled as a RAID-10 behind an always-safe cache (backing = flash: no
-- hold-time limit) with member caches off; it advertises write-through.
define("high_end_array", "high-end array: 64 GiB mirrored non-volatile cache over RAID-10, always safe",
       merge("high_end_array", megaraid_bbu, {
  level = 10,             -- modelling choice
  disks = 8,              -- modelling choice
  cache_mb = 65536,       -- modelling choice: arrays of the class ship tens to hundreds of GB of cache
  backing = "flash",      -- modelling choice: mirrored cache protected by batteries + vaulting to flash (no time limit)
  destage_depth = 256,    -- modelling choice
  ctrl_mb_s = 8000,       -- modelling choice
  cmd_overhead_us = 50,   -- modelling choice: a SAN round trip is tens of microseconds
}))

-- ---- SSDs (device.model = "ssd") -----------------------------------------
-- These return a `device` table with model = "ssd" and keys of the ssd
-- schema (`powercut list params`); hdd keys such as rpm are errors there.
-- As above, the figures are typical of the class (datasheet ranges), not the
-- measurements of one unit; modelling choices say so.

-- A consumer 2.5" SATA SSD with 3D TLC NAND and a DRAM buffer, WITHOUT
-- power-loss protection (SEMANTICS §4.3: "many solid-state drives (SSD) also
-- have volatile write-back caches", PostgreSQL wal.sgml). Barriers are what
-- keeps it safe; with honest flushes they are enough.
local consumer_ssd = {
  model = "ssd",
  capacity_gb = 500,      -- 500 GB: a common capacity of the class (e.g. Samsung 870 EVO / Crucial MX500 500 GB)
  channels = 8,           -- SATA SSD controllers of the class have 4-8 NAND channels (vendor controller briefs)
  dies = 1,               -- 500 GB of 512 Gbit (64 GB) TLC dies = 8 dies: one per channel
  page_kb = 16,           -- 3D TLC NAND page size, typically 16 KiB (NAND datasheets of the generation)
  program_us = 600,       -- tPROG of 3D TLC: typical datasheet range several hundred us (about 400-900 us)
  read_us = 60,           -- tR of 3D TLC: typical datasheet range 50-90 us
  channel_mb_s = 800,     -- NAND bus: Toggle DDR 4.0 / ONFI 4.x at 800 MT/s on an 8-bit bus = 800 MB/s
  iface_mb_s = 550,       -- SATA 6 Gb/s: 600 MB/s after 8b/10b; datasheets of the class quote about 550-560 MB/s
  cmd_overhead_us = 10,   -- modelling choice: controller firmware overhead per command, about ten microseconds
  cache_mb = 64,          -- modelling choice: the DRAM (512 MB on a 500 GB 870 EVO) mostly holds the mapping table;
                          -- the share buffering user writes is taken as 64 MiB
  policy = "satf",        -- modelling choice: destage to the die that is free soonest
  window = 32,            -- modelling choice: like the NCQ depth
  ncq_depth = 32,         -- SATA NCQ allows at most 32 outstanding commands
  high_water = 0.5,       -- modelling choice
  idle_ms = 0.2,          -- modelling choice: firmware destages almost as soon as the host pauses
  plp = false,            -- consumer drives have no hold-up capacitors (SEMANTICS §4.4: PLP is an enterprise feature)
  fua = true,             -- SATA NCQ WRITE FPDMA QUEUED carries a FUA bit (SEMANTICS §4.1)
  flush = "honest",       -- honours FLUSH CACHE; presets.lying_ssd below is the one that does not
  report_cache = "auto",  -- reports its volatile write cache (IDENTIFY word 85 bit 5)
  atomic_bytes = 4096,    -- modelling choice: a 4 KiB mapping unit programmed whole; 512 models drives that tear
}
define("consumer_ssd", "consumer SATA TLC SSD, 500 GB, 64 MiB DRAM write buffer, no power-loss protection",
       consumer_ssd)

-- The consumer SSD with firmware that acks FLUSH without writing its buffer
-- out (PostgreSQL wal.sgml: "many of these do not honor cache flush commands
-- by default"; SEMANTICS D3).
define("lying_ssd", "the consumer SSD with firmware that acks FLUSH/FUA without honouring them",
       merge("lying_ssd", consumer_ssd, {
  flush = "ignore",       -- FLUSH acknowledged at once, FUA acknowledged from the buffer (D3)
}))

-- An enterprise U.2 NVMe SSD WITH power-loss protection: hold-up capacitors
-- let it "safely flush data in-flight ... in the drive's DRAM ... to Flash"
-- and keep its mapping table consistent (Kingston, SEMANTICS §4.4). Whether
-- such a drive reports no cache (VWC = 0: the host sends no flushes) or a
-- cache it then flushes for free is vendor-specific (SEMANTICS §9 item 3):
-- plp_report below; { plp_report = "cache" } models the other kind.
define("enterprise_ssd", "enterprise NVMe TLC SSD, 3.84 TB, power-loss protection, reports no volatile cache",
       merge("enterprise_ssd", consumer_ssd, {
  capacity_gb = 3840,     -- 3.84 TB: a common capacity of read-intensive datacenter NVMe drives
  channels = 16,          -- enterprise NVMe controllers of the class have 8-16 NAND channels (vendor briefs)
  dies = 4,               -- 3.84 TB of 512 Gbit dies = 60 dies; 16 x 4 = 64 as a round figure (modelling choice)
  program_us = 700,       -- tPROG of 3D TLC (typical datasheet range about 400-900 us)
  read_us = 70,           -- tR of 3D TLC (typical datasheet range 50-90 us)
  channel_mb_s = 1200,    -- NAND bus: ONFI 4.2 / Toggle DDR at 1200 MT/s on an 8-bit bus
  iface_mb_s = 3500,      -- PCIe 3.0 x4: about 3.9 GB/s raw; datasheets of the class quote about 3.2-3.5 GB/s
  cmd_overhead_us = 5,    -- modelling choice: NVMe has a shorter command path than AHCI
  cache_mb = 256,         -- modelling choice: the protected share of the DRAM that buffers writes
  ncq_depth = 256,        -- modelling choice: NVMe queues are far deeper; 256 commands inside the drive
  plp = true,             -- hold-up capacitors (power-loss protection), SEMANTICS §4.4
  plp_report = "no-cache", -- modelling choice (vendor-specific, SEMANTICS §9 item 3): VWC = 0, no flushes sent (D5)
}))

-- A misspelt preset name is an error that names it.
return setmetatable(presets, {
  __index = function(_, k)
    error(("presets: no preset named '%s'"):format(tostring(k)), 2)
  end,
})
