/**
 * A 3D viewer for GLB results: three.js with orbit (drag), zoom (wheel/pinch) and pan. Loaded only
 * when a result needs it, so the rest of the UI stays small.
 */
export async function showGlb(container: HTMLElement, url: string): Promise<void> {
  const [THREE, { GLTFLoader }, { OrbitControls }] = await Promise.all([import('three'), import('three/examples/jsm/loaders/GLTFLoader.js'), import('three/examples/jsm/controls/OrbitControls.js')]);
  const canvas = document.createElement('canvas');
  canvas.className = 'viewer';
  canvas.setAttribute('aria-label', '3D model viewer: drag to orbit, scroll to zoom');
  canvas.tabIndex = 0;
  container.append(canvas);
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x111318);
  scene.add(new THREE.AmbientLight(0xffffff, 1));
  const camera = new THREE.PerspectiveCamera(50, 1, 0.01, 1000);
  const controls = new OrbitControls(camera, canvas);
  const gltf = await new GLTFLoader().loadAsync(url);
  // Points come with their own colours; give them a visible size.
  gltf.scene.traverse((o) => {
    if ((o as { isPoints?: boolean }).isPoints) (o as unknown as { material: { size: number; sizeAttenuation: boolean } }).material.size = 2;
    if ((o as { isPoints?: boolean }).isPoints) (o as unknown as { material: { sizeAttenuation: boolean } }).material.sizeAttenuation = false;
  });
  scene.add(gltf.scene);
  const box = new THREE.Box3().setFromObject(gltf.scene);
  const centre = box.getCenter(new THREE.Vector3());
  const size = box.getSize(new THREE.Vector3()).length() || 1;
  camera.position.copy(centre).add(new THREE.Vector3(0, size * 0.35, size * 0.9));
  controls.target.copy(centre);
  controls.update();
  // Points only: a reconstruction's cameras come as line segments beside them.
  let points = 0;
  gltf.scene.traverse((o) => {
    const g = (o as { geometry?: { attributes?: { position?: { count: number } } } }).geometry;
    if ((o as { isPoints?: boolean }).isPoints && g?.attributes?.position) points += g.attributes.position.count;
  });
  canvas.dataset.points = String(points);
  const resize = () => {
    const w = canvas.clientWidth;
    const hgt = canvas.clientHeight;
    renderer.setSize(w, hgt, false);
    camera.aspect = w / hgt;
    camera.updateProjectionMatrix();
  };
  resize();
  new ResizeObserver(resize).observe(canvas);
  renderer.setAnimationLoop(() => {
    if (!canvas.isConnected) return renderer.setAnimationLoop(null);
    controls.update();
    renderer.render(scene, camera);
  });
  canvas.dataset.ready = 'true';
}
