// Progressive enhancement: add to and remove from the shortlist without reloading the page.
// Without JavaScript the same forms POST and redirect back, so nothing here is required.

const ADD = '/shortlist/add'
const REMOVE = '/shortlist/remove'

function statusRegion () {
  let region = document.getElementById('app-shortlist-status')
  if (!region) {
    region = document.createElement('div')
    region.id = 'app-shortlist-status'
    region.className = 'govuk-visually-hidden'
    region.setAttribute('aria-live', 'polite')
    document.body.appendChild(region)
  }
  return region
}

function update (form, onShortlist) {
  const button = form.querySelector('button')
  const hidden = button.querySelector('.govuk-visually-hidden')
  const name = hidden ? hidden.outerHTML : ''
  form.setAttribute('action', onShortlist ? REMOVE : ADD)
  button.innerHTML = (onShortlist ? 'Remove from shortlist' : 'Add to shortlist') + name
}

async function submit (event) {
  const form = event.target
  event.preventDefault()
  const button = form.querySelector('button')
  button.disabled = true
  try {
    const response = await fetch(form.getAttribute('action'), {
      method: 'POST',
      body: new FormData(form),
      headers: { 'X-Requested-With': 'fetch' },
      credentials: 'same-origin'
    })
    if (!response.ok) {
      form.submit() // let the server answer the ordinary way (an error page, or the session timed out)
      return
    }
    const result = await response.json()
    update(form, result.on_shortlist)
    statusRegion().textContent = result.full
      ? 'Your shortlist is full'
      : (result.on_shortlist ? 'Added to your shortlist' : 'Removed from your shortlist') +
        ` (${result.count} ${result.count === 1 ? 'service' : 'services'})`
  } catch (error) {
    form.submit()
  } finally {
    button.disabled = false
  }
}

document.querySelectorAll('form[data-module="app-shortlist"]').forEach(function (form) {
  form.addEventListener('submit', submit)
})
